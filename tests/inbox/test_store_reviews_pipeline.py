"""Store reviews through the whole pipeline: a poll stores the good reviews and dead-letters the broken
ones, a refusal waits as long as the store said, and a reply from the console reaches the store."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

from inbox import services
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, DeadLetter, Mention, ReplyState
from tests.factories import MentionFactory
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
REVIEWS = "/v1/apps/682658836/customerReviews"


def load(platform: str, name: str) -> dict:
    return json.loads((FIXTURES / platform / name).read_text())


@pytest.fixture
def app_store(fake_platform) -> Channel:
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    return Channel.objects.create(
        name="Telco iOS",
        kind="appstore",
        base_url=fake_platform.url,
        config={"app_id": "682658836"},
        credentials_encrypted=credentials_encrypt({"issuer_id": "issuer", "key_id": "KEY1", "private_key": pem}),
    )


def test_a_poll_stores_the_good_reviews_dead_letters_the_broken_and_moves_the_cursor(fake_platform, app_store):
    page = load("appstore", "customer_reviews.json")
    broken = copy.deepcopy(page["data"][0]) | {"id": "00000028-b08c-0014-729e-fbd5000000ff"}
    broken["attributes"]["createdDate"] = "not a date"
    page["data"].append(broken)
    del page["links"]["next"]
    fake_platform.script("GET", REVIEWS, Reply(json=page))

    report = services.channel_poll(channel_id=app_store.pk)

    assert report is not None and report.created == 1
    review = Mention.objects.get(channel=app_store)
    assert (review.external_id, review.author.handle) == ("00000028-b08c-0014-729e-fbd500000000", "Anne Johnson")
    assert "createdDate" in DeadLetter.objects.get(channel=app_store).reason
    app_store.refresh_from_db()
    assert app_store.cursor == {"created_after": "2017-11-15T08:10:34-08:00"}


def test_a_429_keeps_the_cursor_and_waits_for_retry_after(fake_platform, app_store):
    fake_platform.script(
        "GET", REVIEWS, Reply(status=429, json={"errors": [{"status": "429"}]}, headers={"Retry-After": "600"})
    )

    services.channel_poll(channel_id=app_store.pk)

    app_store.refresh_from_db()
    assert app_store.cursor == {} and app_store.consecutive_failures == 1
    assert timedelta(seconds=590) < app_store.next_poll_at - timezone.now() <= timedelta(seconds=600)


def test_a_reply_from_the_console_becomes_the_review_s_response(fake_platform, app_store, community_manager):
    created = {"data": {"type": "customerReviewResponses", "id": "resp-1", "attributes": {"state": "PENDING_PUBLISH"}}}
    fake_platform.script("POST", "/v1/customerReviewResponses", Reply(status=201, json=created))
    mention = MentionFactory(channel=app_store, external_id="00000028-b08c-0014-729e-fbd500000000")

    reply = services.reply_queue(
        mention_id=mention.pk, author=community_manager, body="Gracias, Anne.", undo_window=False
    )
    sent = services.reply_send(reply_id=reply.pk)

    assert sent is not None and sent.state == ReplyState.SENT
    (request,) = fake_platform.received("POST", "/v1/customerReviewResponses")
    document = request.json()["data"]
    assert document["attributes"]["responseBody"] == "Gracias, Anne.\n— Ana"
    assert document["relationships"]["review"]["data"]["id"] == mention.external_id


def test_a_play_reply_over_350_characters_is_refused_before_it_is_sent(community_manager):
    mention = MentionFactory(channel=Channel.objects.create(name="Play", kind="googleplay"))

    with pytest.raises(
        services.InboxError, match="351 characters long with the signature; Google Play takes at most 350"
    ):
        services.reply_queue(mention_id=mention.pk, author=community_manager, body="a" * 345)
