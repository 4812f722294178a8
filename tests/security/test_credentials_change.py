"""An API token does not outlive a password change or a deactivation (issue #15, point 5).

Whichever way the password changes — the user's own change, an administrator's, `set_password()`
and `save()` — every token of the user is revoked and each revocation is in the audit trail. The
session that changed the password goes on; the user's other sessions end.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crisisdesk.models import AuditEvent
from integrations.services import api_token_create

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-secret-456"


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """A preferred hasher that is quick to run, so that logging in re-hashes an MD5 password."""

    iterations = 1


def token_works(key: str) -> bool:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get("/api/auth/token/").status_code == 200


def revocations_of(user) -> list[dict]:
    return list(
        AuditEvent.objects.filter(verb="api_token.revoke", target_id=str(user.pk)).values_list("data", flat=True)
    )


def test_set_password_and_save_revokes_the_token_and_audits_it(department_head):
    # Given a department head whose script logs in with an API token
    key = api_token_create(user=department_head).key
    assert token_works(key)

    # When their password is changed
    department_head.set_password(NEW_PASSWORD)
    department_head.save()

    # Then the token no longer works, and the trail says which token went and why
    assert not token_works(key)
    assert not Token.objects.filter(user=department_head).exists()
    assert revocations_of(department_head) == [{"prefix": key[:6], "reason": "password_changed"}]
    change = AuditEvent.objects.get(verb="user.password_changed", target_id=str(department_head.pk))
    assert change.data == {"tokens_revoked": 1}


def test_an_administrator_changing_someones_password_revokes_their_token(admin_user, community_manager):
    key = api_token_create(user=community_manager).key
    admin = Client()
    admin.force_login(admin_user)

    response = admin.post(
        f"/admin/crisisdesk/user/{community_manager.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert not token_works(key)
    assert revocations_of(community_manager) == [{"prefix": key[:6], "reason": "password_changed"}]


def test_ones_own_password_change_keeps_this_session_and_ends_the_others(admin_user):
    key = api_token_create(user=admin_user).key
    this_session, other_session = Client(), Client()
    this_session.force_login(admin_user)
    other_session.force_login(admin_user)

    response = this_session.post(
        "/admin/password_change/",
        {"old_password": "secret-pass-123", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert not token_works(key)
    assert revocations_of(admin_user) == [{"prefix": key[:6], "reason": "password_changed"}]
    assert this_session.get("/settings/tokens/").status_code == 200
    assert other_session.get("/settings/tokens/").status_code == 302


def test_deactivation_revokes_the_token_and_audits_it(director):
    key = api_token_create(user=director).key

    director.is_active = False
    director.save(update_fields=["is_active"])

    assert not token_works(key)
    assert revocations_of(director) == [{"prefix": key[:6], "reason": "deactivated"}]
    assert AuditEvent.objects.filter(verb="user.deactivated", target_id=str(director.pk)).exists()


def test_saves_that_change_no_credentials_keep_the_token(community_manager, settings):
    key = api_token_create(user=community_manager).key
    settings.PASSWORD_HASHERS = [
        "tests.security.test_credentials_change.QuickPBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]

    # Logging in re-hashes the MD5 password under the preferred hasher: the same secret, not a change
    stored = community_manager.password
    browser = Client()
    assert browser.post("/login/", {"username": "ana", "password": "secret-pass-123"}).status_code == 302
    community_manager.refresh_from_db()
    assert community_manager.password != stored
    # Neither do a change of language or of signature
    browser.post("/language/", {"language": "es"})
    community_manager.refresh_from_db()
    community_manager.signature = "Ana G."
    community_manager.save()

    assert token_works(key)
    assert revocations_of(community_manager) == []
