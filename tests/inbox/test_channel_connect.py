"""Connecting a channel: OAuth 2.0 with PKCE against a fake authorisation server, tests, refresh, disconnect."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse

from crisisdesk.models import AuditEvent
from inbox import channel_tokens
from inbox.channel_connect import PENDING_IN_SESSION, pkce_challenge
from inbox.connectors import connector_for
from inbox.credentials import channel_credentials_update, credentials_decrypt
from inbox.models import Channel
from tests.inbox.fake_oauth import FakeAuthServer, s256

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


def _start(client, **fields):
    data = {"network": "x", "name": "Brand on X", "brand": "acme"} | fields
    response = client.post(CONNECT, data)
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def _authorize(location: str) -> str:
    """What the browser does at the provider: it follows /authorize back to our callback."""
    answer = httpx.get(location, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = urlparse(answer.headers["location"])
    return f"{back.path}?{back.query}"


def _connect(client) -> Channel:
    response = client.get(_authorize(_start(client)), follow=True)
    assert "Connected: Brand on X." in response.content.decode()
    return Channel.objects.get(kind="x", name="Brand on X")


def _messages(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


def test_pkce_challenge_is_rfc_7636_s256():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636, appendix B
    assert pkce_challenge(verifier) == s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_start_sends_an_s256_challenge_of_the_session_verifier_and_a_state(admin_client, fake):
    query = parse_qs(urlparse(_start(admin_client)).query)
    pending = admin_client.session[PENDING_IN_SESSION]
    (state, entry), = pending.items()
    assert query["state"] == [state]
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [pkce_challenge(entry["verifier"])]
    assert query["redirect_uri"] == ["http://testserver/inbox/channels/connect/callback/"]
    assert query["client_id"] == ["test-client"]
    assert "test-secret" not in json.dumps(dict(admin_client.session))


def test_x_connects_end_to_end_and_the_tokens_are_encrypted_at_rest(admin_client, fake, admin_user):
    channel = _connect(admin_client)
    credentials = credentials_decrypt(channel.credentials_encrypted)
    assert credentials["user_access_token"] in fake.state.access_tokens
    assert credentials["refresh_token"] in fake.state.refresh_tokens
    assert credentials["user_token_expires_at"] > time.time() + 7000
    assert channel.base_url == fake.url and channel.brand == "acme" and channel.is_enabled
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted FROM inbox_channel WHERE id = %s", [channel.pk])
        (stored,) = cursor.fetchone()
    assert credentials["user_access_token"] not in stored and credentials["refresh_token"] not in stored
    session = json.dumps(dict(admin_client.session))
    assert credentials["user_access_token"] not in session and credentials["refresh_token"] not in session
    event = AuditEvent.objects.get(verb="channel.connect", target_id=str(channel.pk))
    assert event.actor == admin_user and credentials["user_access_token"] not in json.dumps(event.data)


def test_a_state_is_single_use(admin_client, fake):
    callback = _authorize(_start(admin_client))
    admin_client.get(callback)
    Channel.objects.all().delete()
    response = admin_client.get(callback, follow=True)
    assert "unknown or was already used" in _messages(response)
    assert not Channel.objects.exists()


def test_an_unknown_state_writes_nothing(admin_client, fake):
    _authorize(_start(admin_client))
    response = admin_client.get(reverse("inbox:connect_callback") + "?code=abc&state=forged", follow=True)
    assert "unknown or was already used" in _messages(response)
    assert not Channel.objects.exists()


def test_a_state_from_another_session_is_refused(admin_client, client_factory_admin, fake):
    callback = _authorize(_start(admin_client))
    response = client_factory_admin.get(callback, follow=True)
    assert "unknown or was already used" in _messages(response)
    assert not Channel.objects.exists()


@pytest.fixture
def client_factory_admin(admin_user):
    from django.test import Client  # why: a second, separate browser session

    other = Client()
    other.force_login(admin_user)
    return other


def test_an_expired_state_writes_nothing(admin_client, fake):
    callback = _authorize(_start(admin_client))
    session = admin_client.session
    pending = session[PENDING_IN_SESSION]
    for entry in pending.values():
        entry["created"] -= 3600
    session[PENDING_IN_SESSION] = pending
    session.save()
    response = admin_client.get(callback, follow=True)
    assert "expired" in _messages(response)
    assert not Channel.objects.exists()


def test_a_denied_authorisation_says_so_and_writes_nothing(admin_client, fake):
    fake.state.deny = True
    response = admin_client.get(_authorize(_start(admin_client)), follow=True)
    assert "X did not authorise the connection (access_denied)." in _messages(response)
    assert not Channel.objects.exists()


def test_a_token_endpoint_refusal_says_so_and_writes_nothing(admin_client, fake):
    fake.state.token_status = 400
    response = admin_client.get(_authorize(_start(admin_client)), follow=True)
    assert "X refused to issue a token (HTTP 400: refused by the test)." in _messages(response)
    assert not Channel.objects.exists()


def test_a_wrong_verifier_is_refused_by_the_provider(admin_client, fake):
    callback = _authorize(_start(admin_client))
    session = admin_client.session
    pending = session[PENDING_IN_SESSION]
    for entry in pending.values():
        entry["verifier"] = "x" * 64
    session[PENDING_IN_SESSION] = pending
    session.save()
    response = admin_client.get(callback, follow=True)
    assert "code_verifier does not match" in _messages(response)
    assert not Channel.objects.exists()


def test_a_public_client_sends_its_id_in_the_body(admin_client, fake, settings):
    fake.state.clients = {"public-app": ""}
    settings.OAUTH_PROVIDERS = fake.providers(client_id="public-app", client_secret="")
    channel = _connect(admin_client)
    assert credentials_decrypt(channel.credentials_encrypted)["client_id"] == "public-app"


def test_no_client_configured_is_a_clear_message(admin_client, fake, settings):
    settings.OAUTH_PROVIDERS = fake.providers(client_id="", client_secret="")
    response = admin_client.post(CONNECT, {"network": "x", "name": "X", "brand": "acme"})
    assert response.status_code == 400
    assert "set X_CLIENT_ID" in response.content.decode()


def test_mastodon_needs_its_instance_and_uses_the_channel_app(admin_client, fake, settings):
    response = admin_client.post(CONNECT, {"network": "mastodon", "name": "M", "brand": "acme"})
    assert response.status_code == 400
    providers = fake.providers()
    providers["mastodon"] |= {"authorize_url": "/authorize", "token_url": "/token", "revoke_url": "/revoke"}
    settings.OAUTH_PROVIDERS = providers
    fake.state.clients["instance-app"] = "instance-secret"
    location = _start(
        admin_client, network="mastodon", name="M", base_url=fake.url, client_id="instance-app",
        client_secret="instance-secret",
    )
    assert "instance-secret" not in json.dumps(dict(admin_client.session))
    admin_client.get(_authorize(location))
    channel = Channel.objects.get(kind="mastodon")
    assert channel.base_url == fake.url
    assert credentials_decrypt(channel.credentials_encrypted)["access_token"] in fake.state.access_tokens
    assert channel_tokens.channel_verify(channel_id=channel.pk).handle == "brand_support"


def test_test_connection_passes_and_records_health(admin_client, fake):
    channel = _connect(admin_client)
    response = admin_client.post(reverse("inbox:channel_test", args=[channel.pk]), follow=True)
    assert "Connection test passed for Brand on X (brand_support)." in _messages(response)
    channel.refresh_from_db()
    assert channel.last_success_at is not None and channel.last_error == ""
    assert channel.config["user_id"] == "2244994945"
    token = credentials_decrypt(channel.credentials_encrypted)["user_access_token"]
    assert connector_for(channel)._headers() == {"Authorization": f"Bearer {token}"}  # polling reads with it


def test_the_callback_tests_the_new_connection_at_once(admin_client, fake):
    response = admin_client.get(_authorize(_start(admin_client)), follow=True)
    assert "Connected: Brand on X. Connection test passed for Brand on X (brand_support)." in _messages(response)
    assert Channel.objects.get(name="Brand on X").config["user_id"] == "2244994945"


def test_test_connection_failure_is_shown_and_kept_as_the_last_error(admin_client, fake):
    channel = _connect(admin_client)
    token = credentials_decrypt(channel.credentials_encrypted)["user_access_token"]
    fake.state.access_tokens.clear()
    response = admin_client.post(reverse("inbox:channel_test", args=[channel.pk]), follow=True)
    assert "The connection test failed" in _messages(response)
    channel.refresh_from_db()
    assert "401" in channel.last_error and token not in channel.last_error
    assert channel.consecutive_failures == 1
    assert "Failing" in response.content.decode()


def test_the_beat_refreshes_tokens_that_expire_soon(admin_client, fake):
    channel = _connect(admin_client)
    assert channel_tokens.channel_tokens_refresh_due() == 0
    before = credentials_decrypt(channel.credentials_encrypted)
    channel_credentials_update(channel_id=channel.pk, update=lambda c: c | {"user_token_expires_at": time.time() + 60})
    assert channel_tokens.channel_tokens_refresh_due() == 1
    channel.refresh_from_db()
    after = credentials_decrypt(channel.credentials_encrypted)
    assert after["user_access_token"] != before["user_access_token"]
    assert after["refresh_token"] != before["refresh_token"] and after["user_token_expires_at"] > time.time() + 7000
    assert fake.state.token_requests[-1] == {"grant_type": "refresh_token"}
    assert channel_tokens.channel_tokens_refresh_due() == 0
    assert django_settings.CELERY_BEAT_SCHEDULE["channel-tokens-refresh"]["task"] == "inbox.channel_tokens_refresh"


def test_a_refused_refresh_goes_to_the_channel_health(admin_client, fake):
    channel = _connect(admin_client)
    channel_credentials_update(channel_id=channel.pk, update=lambda c: c | {"user_token_expires_at": time.time() + 60})
    fake.state.token_status = 400
    assert channel_tokens.channel_tokens_refresh_due() == 0
    channel.refresh_from_db()
    assert channel.last_error.startswith("Token refresh failed") and channel.consecutive_failures == 1


def test_disconnect_revokes_wipes_and_disables(admin_client, fake, admin_user):
    channel = _connect(admin_client)
    refresh = credentials_decrypt(channel.credentials_encrypted)["refresh_token"]
    response = admin_client.post(reverse("inbox:channel_disconnect", args=[channel.pk]), follow=True)
    assert "Disconnected: Brand on X." in _messages(response)
    assert fake.state.revoked == [refresh]
    channel.refresh_from_db()
    assert channel.credentials_encrypted == "" and not channel.is_enabled
    event = AuditEvent.objects.get(verb="channel.disconnect", target_id=str(channel.pk))
    assert event.data == {"revocation": "revoked"} and event.actor == admin_user


def test_disconnect_wipes_even_when_the_provider_is_down(admin_client, fake):
    channel = _connect(admin_client)
    fake.stop()
    response = admin_client.post(reverse("inbox:channel_disconnect", args=[channel.pk]), follow=True)
    assert "did not confirm the revocation" in _messages(response)
    channel.refresh_from_db()
    assert channel.credentials_encrypted == "" and not channel.is_enabled
    fake.start = lambda: fake  # already stopped: the fixture's stop must not fail
    fake.stop = lambda: None


def test_bluesky_and_discourse_connect_by_form(admin_client, fake):
    response = admin_client.post(CONNECT, {"network": "bluesky", "name": "B", "brand": "acme", "identifier": "a"})
    assert response.status_code == 400 and not Channel.objects.exists()
    response = admin_client.post(
        CONNECT,
        {"network": "discourse", "name": "Forum", "brand": "acme", "base_url": fake.url, "api_key": "k-123",
         "api_username": "system"},
        follow=True,
    )
    channel = Channel.objects.get(kind="discourse")
    assert credentials_decrypt(channel.credentials_encrypted) == {"api_key": "k-123", "api_username": "system"}
    assert "k-123" not in channel.credentials_encrypted
    assert "Connected: Forum." in _messages(response) and "The connection test failed" in _messages(response)


@pytest.mark.parametrize("fixture", ["director", "community_manager"])
def test_only_administrators_may_connect(client, request, fixture, fake):
    channel = Channel.objects.create(kind="x", name="X")
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(CONNECT).status_code == 403
    assert client.get(reverse("inbox:connect_callback") + "?code=a&state=b").status_code == 403
    assert client.post(reverse("inbox:channel_test", args=[channel.pk])).status_code == 403
    assert client.post(reverse("inbox:channel_disconnect", args=[channel.pk])).status_code == 403


def test_anonymous_users_go_to_login(client):
    assert client.get(CONNECT)["Location"].startswith("/login/")


def test_the_page_lets_its_form_lead_to_the_configured_sign_in_origins(admin_client, fake):
    response = admin_client.get(CONNECT)
    policy = response["Content-Security-Policy"]
    assert f"form-action 'self' {fake.url}" in policy


def test_a_provider_origin_the_policy_does_not_name_gets_a_link(admin_client, fake, settings):
    providers = fake.providers()
    for name in set(providers) - {"mastodon"}:
        providers[name]["authorize_url"] = "https://sign-in.example/authorize"
    providers["mastodon"] |= {"authorize_url": "/authorize", "token_url": "/token"}
    settings.OAUTH_PROVIDERS = providers
    response = admin_client.post(CONNECT, {"network": "mastodon", "name": "M", "brand": "b", "base_url": fake.url})
    assert response.status_code == 200
    assert f'href="{fake.url}/authorize?' in response.content.decode()


def test_the_channels_page_links_administrators_to_the_connect_page(client, admin_user, director):
    client.force_login(admin_user)
    assert CONNECT in client.get("/inbox/channels/").content.decode()
    client.force_login(director)
    assert CONNECT not in client.get("/inbox/channels/").content.decode()


def test_facebook_connects_and_tests_with_a_header_token(admin_client, fake):
    location = _start(admin_client, network="facebook", name="Page")
    admin_client.get(_authorize(location))
    channel = Channel.objects.get(kind="facebook")
    assert channel_tokens.channel_verify(channel_id=channel.pk).handle == "Telco Support"  # the Page's own token


def test_youtube_asks_google_for_offline_access_and_tests_the_channel(admin_client, fake):
    location = _start(admin_client, network="youtube", name="Tube")
    query = parse_qs(urlparse(location).query)
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    admin_client.get(_authorize(location))
    channel = Channel.objects.get(kind="youtube")
    credentials = credentials_decrypt(channel.credentials_encrypted)
    assert credentials["token_url"] == f"{fake.url}/token" and credentials["refresh_token"]
    assert channel_tokens.channel_verify(channel_id=channel.pk).account_id == "UC123"


def test_threads_connects_with_its_secret_in_the_form_and_keeps_a_long_lived_token(admin_client, fake):
    location = _start(admin_client, network="threads", name="Brand on Threads")
    response = admin_client.get(_authorize(location), follow=True)

    assert "Connection test passed for Brand on Threads (brand_support)." in response.content.decode()
    channel = Channel.objects.get(kind="threads")
    credentials = credentials_decrypt(channel.credentials_encrypted)
    (short_lived,) = fake.state.exchanged  # the code's one-hour token was traded at GET /access_token
    assert credentials["access_token"].startswith("th-") and credentials["access_token"] != short_lived
    assert credentials["token_expires_at"] > time.time() + 59 * 24 * 3600
    assert "refresh_token" not in credentials
    assert channel.config == {"threads_user_id": "2244994945", "username": "brand_support"}


def test_google_business_asks_for_the_business_scope_offline_and_keeps_a_user_token(admin_client, fake, settings):
    providers = fake.providers()
    providers["google_business"]["scope"] = "https://www.googleapis.com/auth/business.manage"
    settings.OAUTH_PROVIDERS = providers
    location = _start(admin_client, network="google_business", name="Shop reviews")
    query = parse_qs(urlparse(location).query)
    assert query["scope"] == ["https://www.googleapis.com/auth/business.manage"]
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]

    response = admin_client.get(_authorize(location), follow=True)

    credentials = credentials_decrypt(Channel.objects.get(kind="google_business").credentials_encrypted)
    assert credentials["user_access_token"] and credentials["refresh_token"] and credentials["user_token_expires_at"]
    assert "needs account_id and location_id" in response.content.decode()  # the test says what is missing
