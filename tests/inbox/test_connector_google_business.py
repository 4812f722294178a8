"""The Google Business Profile reviews connector against a local fake My Business API v4 and token endpoint.

Reviews paged by pageToken, the owner's reply (PUT …/reply), the OAuth refresh through oauth2.UserTokens,
429 back-off, and a review that cannot be hidden. Fixtures: tests/inbox/fixtures/google_business/README.md.
"""

from __future__ import annotations

import base64
import copy
import json
import time
from pathlib import Path

import pytest

from inbox.connectors import capabilities_for
from inbox.connectors.base import RateLimited
from inbox.connectors.google_business import GoogleBusinessConnector
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, DeadLetter, Mention, NetworkHiddenState
from inbox.reply_length import reply_length, reply_limit
from inbox.services import channel_poll, mention_hide
from tests.factories import UserFactory
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "google_business"
ACCOUNT, LOCATION = "115347012947294632107", "9281089117903930794"
REVIEWS = f"/accounts/{ACCOUNT}/locations/{LOCATION}/reviews"
FIRST = "AIe9_BGu1Q3QdyfRa3jW0m8M3LGQDPCmb9i4S7VN2Jj3"
CONFIG = {"account_id": ACCOUNT, "location_id": LOCATION}
ACCESS = "ya29." + "a" * 20


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def credentials(url: str, **extra) -> dict:
    return {
        "user_access_token": ACCESS,
        "refresh_token": "1//" + "r" * 20,
        "user_token_expires_at": int(time.time()) + 3000,
        "client_id": "gbp-client", "client_secret": "c" * 24, "token_url": f"{url}/token",
    } | extra


def connector(url: str, **extra) -> GoogleBusinessConnector:
    return GoogleBusinessConnector(base_url=url, config=CONFIG, credentials=credentials(url, **extra))


def test_reviews_are_read_page_by_page_and_the_owners_reply_is_not_a_mention(fake_platform):
    fake_platform.script(
        "GET", REVIEWS, Reply(json=load("reviews_page_1.json")), Reply(json=load("reviews_page_2.json"))
    )

    result = connector(fake_platform.url).fetch_since({})

    first, second = fake_platform.requests
    assert first.headers["Authorization"] == f"Bearer {ACCESS}"
    assert first.query == {"pageSize": ["50"], "orderBy": ["updateTime desc"]}
    assert second.query["pageToken"] == ["ABHRLXX2cSnV7example"]
    assert len(result.mentions) == 5  # five reviews; the owner's reviewReply is not among them
    assert "Thank you for visiting our business!" not in [mention.text for mention in result.mentions]
    one_star, answered, silent = result.mentions[:3]
    assert (one_star.external_id, one_star.author.display_name) == (FIRST, "Lucía Fernández")
    assert one_star.raw["star_rating"] == 1 and one_star.text.startswith("Tres semanas sin fibra")
    assert answered.raw["review"]["reviewReply"]["comment"] == "Thank you for visiting our business!"
    assert (silent.text, silent.author.external_id) == ("★★☆☆☆", f"unknown:google_business:{silent.external_id}")
    assert result.next_cursor == {"updated_after": "2026-11-30T18:02:11.482000+00:00"}


def test_a_later_poll_stops_at_the_page_that_reaches_the_cursor(fake_platform):
    fake_platform.script("GET", REVIEWS, Reply(json=load("reviews_page_1.json")))

    result = connector(fake_platform.url).fetch_since({"updated_after": "2026-11-29T00:00:00+00:00"})

    assert len(fake_platform.requests) == 1  # the page had a nextPageToken but reached the cursor
    answered = "AIe9_BGs7kTqH0wVmcB3a5e0Lr2YqZx8pN1u6dWc4Fh"
    assert [mention.external_id for mention in result.mentions] == [FIRST, answered]


def test_the_reply_is_put_on_the_review_as_its_comment(fake_platform):
    fake_platform.script("PUT", f"{REVIEWS}/{FIRST}/reply", Reply(json=load("update_reply_response.json")))

    reply_id = connector(fake_platform.url).publish_reply(
        in_reply_to=FIRST, text="Thank you for visiting our business!"
    )

    (sent,) = fake_platform.requests
    assert (sent.method, sent.path) == ("PUT", f"{REVIEWS}/{FIRST}/reply")
    assert sent.headers["Authorization"] == f"Bearer {ACCESS}"
    assert sent.json() == {"comment": "Thank you for visiting our business!"}
    assert reply_id == f"{FIRST}/reply"


def test_a_refused_token_is_refreshed_at_google_once_and_the_call_repeated(fake_platform):
    unauthenticated = {"error": {"code": 401, "message": "Request had invalid authentication credentials.",
                                 "status": "UNAUTHENTICATED"}}
    fake_platform.script(
        "GET", REVIEWS, Reply(status=401, json=unauthenticated), Reply(json=load("reviews_page_2.json"))
    )
    fake_platform.script("POST", "/token", Reply(json={"access_token": "ya29.fresh", "expires_in": 3599}))
    reviews = connector(fake_platform.url)

    result = reviews.fetch_since({})

    refused, refresh, repeated = fake_platform.requests
    assert refused.headers["Authorization"] == f"Bearer {ACCESS}"
    assert refresh.form() == {"grant_type": ["refresh_token"], "refresh_token": ["1//" + "r" * 20]}
    assert refresh.headers["Authorization"] == "Basic " + base64.b64encode(f"gbp-client:{'c' * 24}".encode()).decode()
    assert repeated.headers["Authorization"] == "Bearer ya29.fresh"
    assert len(result.mentions) == 2 and reviews.credentials["user_access_token"] == "ya29.fresh"


def test_a_token_about_to_expire_is_refreshed_before_the_call(fake_platform):
    fake_platform.script("GET", REVIEWS, Reply(json=load("reviews_page_2.json")))
    fake_platform.script("POST", "/token", Reply(json={"access_token": "ya29.fresh", "expires_in": 3599}))

    connector(fake_platform.url, user_token_expires_at=int(time.time()) + 30).fetch_since({})

    assert [r.path for r in fake_platform.requests] == ["/token", REVIEWS]


def test_429_backs_off_until_retry_after(fake_platform):
    exhausted = {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}
    fake_platform.script("GET", REVIEWS, Reply(status=429, json=exhausted, headers={"Retry-After": "120"}))

    with pytest.raises(RateLimited) as raised:
        connector(fake_platform.url).fetch_since({})

    assert 100 < raised.value.retry_at.timestamp() - time.time() <= 120


def test_malformed_reviews_are_dead_letters_and_the_rest_is_stored(fake_platform):
    page = copy.deepcopy(load("reviews_page_2.json"))
    no_id = copy.deepcopy(page["reviews"][0]) | {"reviewId": None}
    no_text = copy.deepcopy(page["reviews"][0]) | {
        "reviewId": "x1", "comment": "", "starRating": "STAR_RATING_UNSPECIFIED"
    }
    page["reviews"] += [no_id, no_text, "junk"]
    fake_platform.script("GET", REVIEWS, Reply(json=page))
    channel = Channel.objects.create(
        name="Shop reviews", kind="google_business", base_url=fake_platform.url, config=CONFIG,
        credentials_encrypted=credentials_encrypt(credentials(fake_platform.url)),
    )

    report = channel_poll(channel_id=channel.pk)

    assert (report.created, report.rejected) == (2, 3)
    assert sorted(Mention.objects.values_list("text", flat=True)) == ["Atenció molt ràpida a la botiga del centre.",
                                                                       "Correcto, sin más."]
    reasons = " ".join(DeadLetter.objects.values_list("reason", flat=True))
    assert "'reviewId'" in reasons and "'starRating'" in reasons


def test_a_review_cannot_be_hidden_on_google_so_it_is_hidden_in_crisis_desk_only(fake_platform):
    fake_platform.script("GET", REVIEWS, Reply(json=load("reviews_page_2.json")))
    channel = Channel.objects.create(
        name="Shop reviews", kind="google_business", base_url=fake_platform.url, config=CONFIG,
        credentials_encrypted=credentials_encrypt(credentials(fake_platform.url)),
    )
    channel_poll(channel_id=channel.pk)
    mention = Mention.objects.first()

    hidden = mention_hide(mention_id=mention.pk, actor=UserFactory(), reason="insults")

    assert capabilities_for("google_business").hide is False
    assert hidden.network_hidden_state == NetworkHiddenState.UNSUPPORTED


def test_the_composer_counts_utf8_bytes_against_googles_4096():
    assert reply_limit(kind="google_business") == 4096
    assert reply_length(text="Gràcies, Jordi! ★", kind="google_business") == len("Gràcies, Jordi! ★".encode())
    assert reply_length(text="Gràcies", kind="threads") == 7
