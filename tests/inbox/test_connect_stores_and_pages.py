"""Connecting the store channels (an App Store Connect key, a Play service account or Google sign-in) and a
Facebook Page (its own long-lived token, subscribed to the app's webhooks, with its health shown)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.files.uploadedfile import SimpleUploadedFile

from crisisdesk.models import AuditEvent
from inbox.connectors import googleplay
from inbox.credentials import credentials_decrypt
from inbox.models import Channel
from tests.inbox.fake_oauth import FakeAuthServer
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

CONNECT = "/inbox/channels/connect/"


@pytest.fixture
def fake(settings):
    server = FakeAuthServer().start()
    settings.OAUTH_PROVIDERS = server.providers()
    yield server
    server.stop()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _back_from_provider(location: str) -> str:
    answer = httpx.get(location, follow_redirects=False)
    back = urlparse(answer.headers["location"])
    return f"{back.path}?{back.query}"


def test_an_app_store_key_is_uploaded_stored_encrypted_and_tested_with_a_signed_token(admin_client, fake_platform):
    key = ec.generate_private_key(ec.SECP256R1())
    fake_platform.script(
        "GET",
        "/v1/apps/682658836",
        Reply(json={"data": {"type": "apps", "id": "682658836", "attributes": {"name": "Telco"}}}),
    )

    response = admin_client.post(
        CONNECT,
        {
            "network": "appstore",
            "name": "Telco iOS",
            "brand": "acme",
            "base_url": fake_platform.url,
            "app_id": "682658836",
            "issuer_id": "57246542-96fe-1a63-e053-0824d011072a",
            "key_id": "2X9R4HXF34",
            "private_key_file": SimpleUploadedFile("AuthKey_2X9R4HXF34.p8", _pem(key)),
        },
        follow=True,
    )

    assert "Connection test passed for Telco iOS (Telco)." in response.content.decode()
    channel = Channel.objects.get(kind="appstore")
    assert channel.config == {"app_id": "682658836"}
    assert "PRIVATE KEY" not in channel.credentials_encrypted
    assert credentials_decrypt(channel.credentials_encrypted)["private_key"] == _pem(key).decode()
    (test_call,) = fake_platform.received("GET", "/v1/apps/682658836")
    token = test_call.headers["Authorization"].removeprefix("Bearer ")
    assert jwt.decode(token, key.public_key(), algorithms=["ES256"], audience="appstoreconnect-v1")["iss"] == (
        "57246542-96fe-1a63-e053-0824d011072a"
    )
    audit = AuditEvent.objects.get(verb="channel.connect")
    assert "PRIVATE" not in json.dumps(audit.data)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (b"-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n", "This is not a usable .p8 key"),
        (None, "must be an elliptic-curve P-256 key"),
    ],
)
def test_a_file_that_is_not_an_app_store_key_is_refused_with_a_400(admin_client, upload, message):
    if upload is None:  # an RSA key: a private key, but not the kind Apple issues
        upload = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    response = admin_client.post(
        CONNECT,
        {
            "network": "appstore",
            "name": "Telco iOS",
            "brand": "acme",
            "app_id": "682658836",
            "issuer_id": "issuer",
            "key_id": "KEY",
            "private_key_file": SimpleUploadedFile("key.p8", upload),
        },
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Channel.objects.filter(kind="appstore").exists()


def test_a_play_service_account_key_is_uploaded_and_tested(admin_client, fake_platform):
    googleplay._TOKENS.clear()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    account = {
        "type": "service_account",
        "client_email": "reviews@telco.iam.gserviceaccount.com",
        "private_key": _pem(key).decode(),
        "private_key_id": "k1",
        "token_uri": f"{fake_platform.url}/token",
    }
    fake_platform.script("POST", "/token", Reply(json={"access_token": "ya29.sa", "expires_in": 3599}))
    fake_platform.script("GET", "/applications/com.telco.app/reviews", Reply(json={}))

    response = admin_client.post(
        CONNECT,
        {
            "network": "googleplay",
            "name": "Telco Android",
            "brand": "acme",
            "base_url": fake_platform.url,
            "package_name": "com.telco.app",
            "service_account_file": SimpleUploadedFile("telco-sa.json", json.dumps(account).encode()),
        },
        follow=True,
    )

    assert (
        "Connection test passed for Telco Android (reviews@telco.iam.gserviceaccount.com)." in response.content.decode()
    )
    channel = Channel.objects.get(kind="googleplay")
    assert channel.config == {"package_name": "com.telco.app"}
    assert (
        credentials_decrypt(channel.credentials_encrypted)["service_account"]["client_email"] == account["client_email"]
    )
    (review_read,) = fake_platform.received("GET", "/applications/com.telco.app/reviews")
    assert review_read.query == {"maxResults": ["1"]}
    assert review_read.headers["Authorization"] == "Bearer ya29.sa"
    googleplay._TOKENS.clear()


def test_a_json_that_is_not_a_service_account_is_refused(admin_client):
    response = admin_client.post(
        CONNECT,
        {
            "network": "googleplay",
            "name": "Telco Android",
            "brand": "acme",
            "package_name": "com.telco.app",
            "service_account_file": SimpleUploadedFile("oauth-client.json", b'{"installed": {"client_id": "x"}}'),
        },
    )

    assert response.status_code == 400
    assert "This is not a service account key" in response.content.decode()


def test_google_play_without_a_key_signs_in_with_google_for_the_publisher_scope(admin_client, fake):
    response = admin_client.post(
        CONNECT, {"network": "googleplay", "name": "Play", "brand": "acme", "package_name": "com.telco.app"}
    )
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["access_type"] == ["offline"]

    admin_client.get(_back_from_provider(response["Location"]))

    channel = Channel.objects.get(kind="googleplay")
    assert channel.config == {"package_name": "com.telco.app"}
    credentials = credentials_decrypt(channel.credentials_encrypted)
    assert credentials["user_access_token"] in fake.state.access_tokens  # the key oauth2.UserTokens renews
    assert credentials["refresh_token"] and credentials["user_token_expires_at"]
    assert channel.is_healthy


def test_a_facebook_page_runs_on_its_own_token_subscribed_to_the_feed(admin_client, fake):
    response = admin_client.post(CONNECT, {"network": "facebook", "name": "Page", "brand": "acme"})

    page = admin_client.get(_back_from_provider(response["Location"]), follow=True).content.decode()

    (exchange,) = fake.state.exchanges
    assert exchange["client_id"] == "test-client"  # the short-lived sign-in token, traded for a long-lived one
    channel = Channel.objects.get(kind="facebook")
    credentials = credentials_decrypt(channel.credentials_encrypted)
    assert fake.state.page_tokens[credentials["access_token"]] == "1122334455"  # the Page's token, not the user's
    assert "refresh_token" not in credentials
    assert fake.state.subscriptions == [("1122334455", "feed")]
    assert channel.config["page_id"] == "1122334455"
    assert channel.config["token_health"]["valid"] is True and channel.config["token_health"]["expires_at"] == 0
    assert "Connection test passed for Page (Telco Support)." in page
    assert "Page token: does not expire" in page
    assert "data access until" in page


def test_an_instagram_account_gets_its_business_id_and_no_page_subscription(admin_client, fake):
    response = admin_client.post(CONNECT, {"network": "instagram", "name": "IG", "brand": "acme"})

    admin_client.get(_back_from_provider(response["Location"]))

    channel = Channel.objects.get(kind="instagram")
    assert channel.config["ig_user_id"] == "1789"
    assert fake.state.subscriptions == []


def test_an_account_with_several_pages_must_name_one(admin_client, fake):
    fake.state.pages.append({"id": "99", "name": "Telco Fibra"})

    response = admin_client.post(CONNECT, {"network": "facebook", "name": "Page", "brand": "acme"})
    refused = admin_client.get(_back_from_provider(response["Location"]), follow=True).content.decode()
    assert "manages 2 Pages: enter the id of the one to connect" in refused
    assert not Channel.objects.filter(kind="facebook").exists()

    response = admin_client.post(CONNECT, {"network": "facebook", "name": "Page", "brand": "acme", "page_id": "99"})
    admin_client.get(_back_from_provider(response["Location"]))
    channel = Channel.objects.get(kind="facebook")
    assert channel.config["page_id"] == "99"
    assert fake.state.subscriptions == [("99", "feed")]


def test_a_page_token_that_expires_shows_when(admin_client, fake):
    fake.state.page_token_expires_at = 1799000000

    response = admin_client.post(CONNECT, {"network": "facebook", "name": "Page", "brand": "acme"})
    page = admin_client.get(_back_from_provider(response["Location"]), follow=True).content.decode()

    assert "Page token expires" in page
    assert (
        credentials_decrypt(Channel.objects.get(kind="facebook").credentials_encrypted)["token_expires_at"]
        == 1799000000
    )


def test_testing_a_page_connection_looks_at_its_token_again(admin_client, fake):
    response = admin_client.post(CONNECT, {"network": "facebook", "name": "Page", "brand": "acme"})
    admin_client.get(_back_from_provider(response["Location"]))
    channel = Channel.objects.get(kind="facebook")
    fake.state.page_tokens.clear()  # Meta no longer knows the Page token (the Page role was removed)

    page = admin_client.post(f"/inbox/channels/{channel.pk}/test/", follow=True).content.decode()

    channel.refresh_from_db()
    assert channel.config["token_health"]["valid"] is False
    assert "Page token: refused by Meta" in page
