"""App Store reviews against a fake App Store Connect: the exact requests, the ES256 token, paging, limits.

The review list is Apple's documented example (tests/inbox/fixtures/appstore/README.md); the key is made
fresh for each test and every token the connector sends is verified with its public key.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

from inbox.connectors import capabilities_for
from inbox.connectors.appstore import AppStoreConnector
from inbox.connectors.base import ConnectorError, RateLimited
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures" / "appstore"
APP = "682658836"
REVIEWS = f"/v1/apps/{APP}/customerReviews"
ISSUER = "57246542-96fe-1a63-e053-0824d011072a"
KEY_ID = "2X9R4HXF34"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(scope="module")
def signing_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def store(fake_platform, signing_key):
    pem = signing_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return AppStoreConnector(
        base_url=fake_platform.url,
        config={"app_id": APP},
        credentials={"issuer_id": ISSUER, "key_id": KEY_ID, "private_key": pem},
    )


def claims_of(request, signing_key) -> dict:
    """The bearer token, checked as Apple checks it: ES256 with the key's public half, for App Store Connect."""
    scheme, _, token = request.headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    header = jwt.get_unverified_header(token)
    assert (header["alg"], header["kid"], header["typ"]) == ("ES256", KEY_ID, "JWT")
    return jwt.decode(token, signing_key.public_key(), algorithms=["ES256"], audience="appstoreconnect-v1")


def older_page() -> dict:
    """The documented page again as the page `links.next` leads to: another review, no further link."""
    page = copy.deepcopy(load("customer_reviews.json"))
    review = page["data"][0]
    review["id"] = "00000028-b08c-0014-729e-fbd500000001"
    review["attributes"]["createdDate"] = "2017-11-14T08:10:34-08:00"
    del page["links"]["next"]
    return page


def test_reviews_are_read_newest_first_following_links_next_with_a_signed_token(fake_platform, store, signing_key):
    fake_platform.script("GET", REVIEWS, Reply(json=load("customer_reviews.json")), Reply(json=older_page()))

    result = store.fetch_since({})

    first, second = fake_platform.received("GET", REVIEWS)
    assert first.query == {"sort": ["-createdDate"], "limit": ["200"]}
    assert second.query == {"cursor": ["AQ.AMt2C-U"], "limit": ["1"]}  # Apple's cursor, on our own host
    claims = claims_of(first, signing_key)
    assert claims["iss"] == ISSUER
    assert 0 < claims["exp"] - claims["iat"] <= 20 * 60
    assert first.headers["Authorization"] == second.headers["Authorization"]  # signed once, reused
    review = result.mentions[0]
    assert (review.external_id, review.text) == (
        "00000028-b08c-0014-729e-fbd500000000",
        "Awesome!!!\n\nIt's a really fantastic app!",
    )
    assert (review.author.handle, review.author.external_id) == ("Anne Johnson", "nickname:Anne Johnson")
    assert review.posted_at.isoformat() == "2017-11-15T08:10:34-08:00"
    assert (review.raw["rating"], review.raw["territory"]) == (5, "USA")
    assert len(result.mentions) == 2 and result.rejected == []
    assert result.next_cursor == {"created_after": "2017-11-15T08:10:34-08:00"}


def test_a_later_poll_stops_at_the_page_that_reaches_the_cursor(fake_platform, store):
    fake_platform.script("GET", REVIEWS, Reply(json=load("customer_reviews.json")))
    cursor = {"created_after": "2017-11-15T16:10:34+00:00"}  # the documented review, in UTC

    result = store.fetch_since(cursor)

    assert len(fake_platform.received("GET", REVIEWS)) == 1  # links.next is not followed
    assert result.mentions == [] and result.next_cursor == cursor


def test_a_reply_is_a_json_api_customer_review_response(fake_platform, store, signing_key):
    created = {
        "data": {
            "type": "customerReviewResponses",
            "id": "8f3a1bd2-0001",
            "attributes": {
                "responseBody": "Gracias, Anne.",
                "lastModifiedDate": "2017-11-16T10:00:00-08:00",
                "state": "PENDING_PUBLISH",
            },
        }
    }
    fake_platform.script("POST", "/v1/customerReviewResponses", Reply(status=201, json=created))

    external_id = store.publish_reply(in_reply_to="00000028-b08c-0014-729e-fbd500000000", text="Gracias, Anne.")

    (sent,) = fake_platform.received("POST", "/v1/customerReviewResponses")
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.json() == {
        "data": {
            "type": "customerReviewResponses",
            "attributes": {"responseBody": "Gracias, Anne."},
            "relationships": {
                "review": {"data": {"type": "customerReviews", "id": "00000028-b08c-0014-729e-fbd500000000"}}
            },
        }
    }
    assert claims_of(sent, signing_key)["iss"] == ISSUER
    assert external_id == "8f3a1bd2-0001"


def test_429_waits_as_long_as_retry_after_says(fake_platform, store):
    refused = {
        "errors": [
            {
                "status": "429",
                "code": "RATE_LIMIT_EXCEEDED",
                "title": "The request rate limit has been reached.",
                "detail": "We've received too many requests for this API. "
                "Please wait and try again or slow down your request rate.",
            }
        ]
    }
    fake_platform.script("GET", REVIEWS, Reply(status=429, json=refused, headers={"Retry-After": "120"}))

    with pytest.raises(RateLimited) as raised:
        store.fetch_since({})

    wait = raised.value.retry_at - timezone.now()
    assert timedelta(seconds=110) < wait <= timedelta(seconds=120)


def test_a_spent_hourly_budget_stops_paging_and_backs_off(fake_platform, store):
    fake_platform.script(
        "GET",
        REVIEWS,
        Reply(json=load("customer_reviews.json"), headers={"X-Rate-Limit": "user-hour-lim:3500;user-hour-rem:0;"}),
    )

    result = store.fetch_since({})

    assert len(fake_platform.received("GET", REVIEWS)) == 1
    assert len(result.mentions) == 1
    assert store.backoff_until is not None and store.backoff_until > timezone.now()


def test_malformed_reviews_are_dead_lettered_and_the_good_one_kept(store):
    page = load("customer_reviews.json")
    good = page["data"][0]
    no_id = copy.deepcopy(good) | {"id": ""}
    not_a_review = copy.deepcopy(good) | {"type": "apps"}
    empty = copy.deepcopy(good)
    empty["attributes"] |= {"title": "", "body": None}
    undated = copy.deepcopy(good)
    undated["attributes"]["createdDate"] = "yesterday"
    page["data"] += [no_id, not_a_review, empty, undated, "junk"]

    result = store.parse_payload(page)

    assert [mention.external_id for mention in result.mentions] == [good["id"]]
    assert len(result.rejected) == 5
    assert any("createdDate" in item.reason for item in result.rejected)


def test_an_unusable_key_is_a_clear_error_before_any_call(fake_platform):
    connector = AppStoreConnector(
        base_url=fake_platform.url,
        config={"app_id": APP},
        credentials={"issuer_id": ISSUER, "key_id": KEY_ID, "private_key": "not a key"},
    )
    with pytest.raises(ConnectorError, match="private key cannot be used"):
        connector.fetch_since({})
    assert fake_platform.requests == []


def test_capabilities_reply_without_hiding():
    capabilities = capabilities_for("appstore")
    assert (capabilities.reply, capabilities.hide, capabilities.max_length) == (True, False, 5970)
