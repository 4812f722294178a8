"""API tokens: a user makes one on /settings/tokens/ or over the API, sees it once, and can revoke it."""

import re

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crisisdesk.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fixture", ["community_manager", "department_head", "director", "admin_user"])
def test_every_role_creates_a_token_on_the_page_and_sees_it_only_once(client, request, fixture):
    # Given a signed-in user of any role with no token
    user = request.getfixturevalue(fixture)
    client.force_login(user)
    page = client.get("/settings/tokens/")
    assert page.status_code == 200
    assert 'data-testid="token-prefix"' not in page.content.decode()

    # When they create a token
    created = client.post("/settings/tokens/", {"action": "create"})

    # Then the whole key is on that response, and only the first six characters afterwards
    key = Token.objects.get(user=user).key
    assert key in created.content.decode()
    assert "no-store" in created["Cache-Control"] or "no-cache" in created["Cache-Control"]
    later = client.get("/settings/tokens/").content.decode()
    assert key not in later
    assert f"{key[:6]}…" in later
    event = AuditEvent.objects.get(verb="api_token.create", actor=user)
    assert event.data["prefix"] == key[:6]
    assert key not in str(event.data) and event.target_id == str(user.pk)


def test_the_token_authenticates_api_calls_until_it_is_revoked(client, community_manager):
    client.force_login(community_manager)
    client.post("/settings/tokens/", {"action": "create"})
    key = Token.objects.get(user=community_manager).key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/mentions/").status_code == 200

    revoked = client.post("/settings/tokens/", {"action": "revoke"}, follow=True)
    assert revoked.status_code == 200
    assert not Token.objects.filter(user=community_manager).exists()
    refused = api.get("/api/mentions/")
    assert refused.status_code in (401, 403)
    assert AuditEvent.objects.filter(
        verb="api_token.revoke", actor=community_manager, data__prefix=key[:6]
    ).exists()


def test_creating_a_new_token_replaces_the_old_one(client, director):
    client.force_login(director)
    first = re.search(
        r'id="new-token-key">([0-9a-f]{40})<',
        client.post("/settings/tokens/", {"action": "create"}).content.decode(),
    ).group(1)
    second = re.search(
        r'id="new-token-key">([0-9a-f]{40})<',
        client.post("/settings/tokens/", {"action": "create"}).content.decode(),
    ).group(1)
    assert first != second
    assert list(Token.objects.filter(user=director).values_list("key", flat=True)) == [second]


def test_an_unknown_action_is_a_400_and_anonymous_users_go_to_login(client, community_manager):
    assert client.get("/settings/tokens/").status_code == 302
    client.force_login(community_manager)
    assert client.post("/settings/tokens/", {"action": "explode"}).status_code == 400
    assert not Token.objects.exists()


def test_the_token_api_creates_shows_a_prefix_and_revokes(department_head):
    api = APIClient()
    api.force_authenticate(department_head)
    assert api.get("/api/auth/token/").status_code == 404

    created = api.post("/api/auth/token/")
    assert created.status_code == 201
    key = created.json()["key"]
    assert key == Token.objects.get(user=department_head).key

    shown = api.get("/api/auth/token/")
    assert shown.status_code == 200
    assert shown.json()["prefix"] == key[:6]
    assert "key" not in shown.json() and key not in shown.content.decode()

    assert api.delete("/api/auth/token/").status_code == 204
    assert api.delete("/api/auth/token/").status_code == 404
    assert not Token.objects.exists()
    assert list(
        AuditEvent.objects.filter(actor=department_head).order_by("id").values_list("verb", flat=True)
    ) == [
        "api_token.create",
        "api_token.revoke",
    ]


def test_an_api_client_logs_in_with_a_password_and_gets_a_fresh_token(community_manager):
    anonymous = APIClient()
    wrong = anonymous.post("/api/auth/token/login/", {"username": "ana", "password": "nope"}, format="json")
    assert wrong.status_code == 400
    assert not Token.objects.exists()

    logged_in = anonymous.post(
        "/api/auth/token/login/", {"username": "ana", "password": "secret-pass-123"}, format="json"
    )
    assert logged_in.status_code == 201
    key = logged_in.json()["key"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/auth/token/").json()["prefix"] == key[:6]
    assert AuditEvent.objects.get(verb="api_token.create").data["via"] == "api_login"


def test_an_inactive_user_cannot_log_in_over_the_api(community_manager):
    community_manager.is_active = False
    community_manager.save()
    response = APIClient().post(
        "/api/auth/token/login/", {"username": "ana", "password": "secret-pass-123"}, format="json"
    )
    assert response.status_code == 400
    assert not Token.objects.exists()
