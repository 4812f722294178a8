"""Google Play reviews against a fake Google: the service account's signed assertion, OAuth refresh,
token paging, the reply, quota errors. Reviews are the Reply to Reviews guide's examples
(tests/inbox/fixtures/googleplay/README.md); the keys are made fresh for the tests."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils import timezone

from inbox.connectors import capabilities_for, googleplay
from inbox.connectors.base import ConnectorError, RateLimited
from inbox.connectors.googleplay import GooglePlayConnector
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures" / "googleplay"
PACKAGE = "com.example.telco"
REVIEWS = f"/applications/{PACKAGE}/reviews"
ACCOUNT_EMAIL = "reviews@crisis-desk.iam.gserviceaccount.com"
CLIENT_PASSWORD = "p" * 24


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(autouse=True)
def no_kept_tokens():
    googleplay._TOKENS.clear()
    yield
    googleplay._TOKENS.clear()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def service_account(fake_platform, rsa_key) -> dict:
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "type": "service_account",
        "project_id": "crisis-desk",
        "private_key_id": "f3b1c2d4",
        "private_key": pem,
        "client_email": ACCOUNT_EMAIL,
        "token_uri": f"{fake_platform.url}/token",
    }


@pytest.fixture
def play(fake_platform, service_account) -> GooglePlayConnector:
    fake_platform.script(
        "POST", "/token", Reply(json={"access_token": "ya29.service", "expires_in": 3599, "token_type": "Bearer"})
    )
    return GooglePlayConnector(
        base_url=fake_platform.url, config={"package_name": PACKAGE}, credentials={"service_account": service_account}
    )


def test_a_service_account_signs_an_assertion_and_reviews_are_read_page_by_page(
    fake_platform, play, rsa_key, service_account
):
    fake_platform.script(
        "GET", REVIEWS, Reply(json=load("reviews_list.json")), Reply(json={"reviews": [load("review.json")]})
    )

    result = play.fetch_since({})

    (exchange,) = fake_platform.received("POST", "/token")
    form = exchange.form()
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    assertion = form["assertion"][0]
    assert jwt.get_unverified_header(assertion)["kid"] == "f3b1c2d4"
    claims = jwt.decode(assertion, rsa_key.public_key(), algorithms=["RS256"], audience=service_account["token_uri"])
    assert (claims["iss"], claims["scope"]) == (ACCOUNT_EMAIL, "https://www.googleapis.com/auth/androidpublisher")
    assert claims["exp"] - claims["iat"] == 3600
    first, second = fake_platform.received("GET", REVIEWS)
    assert first.headers["Authorization"] == second.headers["Authorization"] == "Bearer ya29.service"
    assert first.query == {"maxResults": ["100"]}
    assert second.query == {"maxResults": ["100"], "token": ["12334566"]}
    assert [mention.external_id for mention in result.mentions] == ["12345678", "11223344", "87654321"]
    john = result.mentions[1]
    assert (john.text, john.author.display_name, john.author.external_id) == (
        "I love using this app!",
        "John Doe",
        "reviewer:11223344",
    )
    assert (john.language, john.raw["rating"], john.raw["developer_reply"]) == ("en", 5, "That's great to hear!")
    assert result.mentions[0].posted_at.isoformat() == "2015-10-01T05:20:26.713000+00:00"
    assert result.next_cursor == {"modified_after": "2016-01-06T21:12:03.913000+00:00"}


def test_the_service_token_is_kept_for_the_next_poll_and_a_later_poll_stops_at_the_cursor(fake_platform, play):
    fake_platform.script("GET", REVIEWS, Reply(json=load("reviews_list.json")))
    cursor = {"modified_after": "2015-10-01T05:20:26.713000+00:00"}  # Jane Bloggs's review, already stored

    result = play.fetch_since(cursor)
    GooglePlayConnector(base_url=fake_platform.url, config=play.config, credentials=play.credentials).fetch_since(
        cursor
    )

    assert len(fake_platform.received("POST", "/token")) == 1
    assert len(fake_platform.received("GET", REVIEWS)) == 2  # one page per poll: the nextPageToken is not followed
    assert result.mentions == [] and result.next_cursor == cursor


def test_a_reply_posts_the_reply_text_to_the_review(fake_platform, play):
    path = f"{REVIEWS}/12345678:reply"
    fake_platform.script("POST", path, Reply(json=load("reply_response.json")))

    external_id = play.publish_reply(in_reply_to="12345678", text="Thanks for your feedback!")

    (sent,) = fake_platform.received("POST", path)
    assert sent.json() == {"replyText": "Thanks for your feedback!"}
    assert sent.headers["Authorization"] == "Bearer ya29.service"
    assert external_id == "12345678:reply"


def test_an_oauth_user_token_refused_is_refreshed_once_with_the_client_and_the_call_repeated(fake_platform):
    fake_platform.script(
        "GET",
        REVIEWS,
        Reply(status=401, json={"error": {"code": 401, "status": "UNAUTHENTICATED"}}),
        Reply(json=load("reviews_list.json")),
    )
    fake_platform.script("POST", "/token", Reply(json={"access_token": "ya29.fresh", "expires_in": 3599}))
    connector = GooglePlayConnector(
        base_url=fake_platform.url,
        config={"package_name": PACKAGE},
        credentials={
            "user_access_token": "ya29.stale",
            "refresh_token": "1//refresh",
            "client_id": "play-client",
            "client_secret": CLIENT_PASSWORD,
            "token_url": f"{fake_platform.url}/token",
        },
    )

    result = connector.fetch_since({"modified_after": "2015-10-01T05:20:26.713000+00:00"})

    refused, repeated = fake_platform.received("GET", REVIEWS)
    (refresh,) = fake_platform.received("POST", "/token")
    assert refused.headers["Authorization"] == "Bearer ya29.stale"
    assert refresh.form() == {"grant_type": ["refresh_token"], "refresh_token": ["1//refresh"]}
    assert (
        refresh.headers["Authorization"]
        == "Basic " + base64.b64encode(f"play-client:{CLIENT_PASSWORD}".encode()).decode()
    )
    assert repeated.headers["Authorization"] == "Bearer ya29.fresh"
    assert connector.credentials["user_access_token"] == "ya29.fresh"
    assert result.mentions == []


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (
            429,
            {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}},
            {"Retry-After": "90"},
        ),
        (
            403,
            {
                "error": {
                    "code": 403,
                    "message": "Rate Limit Exceeded",
                    "errors": [{"reason": "rateLimitExceeded", "domain": "usageLimits"}],
                    "status": "PERMISSION_DENIED",
                }
            },
            {"Retry-After": "90"},
        ),
    ],
)
def test_429_and_403_rate_limit_exceeded_wait_before_the_next_call(fake_platform, play, status, body, headers):
    fake_platform.script("GET", REVIEWS, Reply(status=status, json=body, headers=headers))

    with pytest.raises(RateLimited) as raised:
        play.fetch_since({})

    assert timedelta(seconds=80) < raised.value.retry_at - timezone.now() <= timedelta(seconds=90)


def test_a_forbidden_app_is_an_error_not_a_rate_limit(fake_platform, play):
    forbidden = {
        "error": {
            "code": 403,
            "message": "The caller does not have permission",
            "status": "PERMISSION_DENIED",
            "errors": [{"reason": "forbidden"}],
        }
    }
    fake_platform.script("GET", REVIEWS, Reply(status=403, json=forbidden))

    with pytest.raises(ConnectorError, match="HTTP 403"):
        play.fetch_since({})


def test_malformed_reviews_are_dead_lettered_and_the_good_ones_kept():
    page = load("reviews_list.json")
    page["reviews"] += [
        {"reviewId": "1", "comments": [{"developerComment": {"text": "only ours"}}]},
        {"reviewId": "2", "comments": [{"userComment": {"text": "no date"}}]},
        {"reviewId": "", "comments": [{"userComment": {"text": "no id", "lastModified": {"seconds": "1"}}}]},
        {"reviewId": "3", "comments": [{"userComment": {"text": "   ", "lastModified": {"seconds": "1"}}}]},
        ["junk"],
    ]

    result = GooglePlayConnector(config={"package_name": PACKAGE}).parse_payload(page)

    assert [mention.external_id for mention in result.mentions] == ["12345678", "11223344"]
    assert len(result.rejected) == 5


def test_a_title_and_body_separated_by_a_tab_become_two_paragraphs():
    review = load("review_translated.json")
    review["comments"][0]["userComment"]["text"] = "Se cuelga\tDesde la 1.2.3 no abre."

    (mention,) = GooglePlayConnector(config={"package_name": PACKAGE}).parse_payload(review).mentions

    assert mention.text == "Se cuelga\n\nDesde la 1.2.3 no abre."
    assert mention.raw["review"]["comments"][0]["userComment"]["originalText"] == "Dies ist die beste App überhaupt!"


def test_capabilities_reply_of_350_without_hiding():
    capabilities = capabilities_for("googleplay")
    assert (capabilities.reply, capabilities.hide, capabilities.max_length) == (True, False, 350)


def test_a_channel_without_any_credential_says_what_it_needs(fake_platform):
    connector = GooglePlayConnector(base_url=fake_platform.url, config={"package_name": PACKAGE})

    with pytest.raises(ConnectorError, match="needs a service account key or a Google sign-in"):
        connector.fetch_since({})
    assert fake_platform.requests == []
