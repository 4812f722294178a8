"""Departments sign in with the company's single sign-on: the whole code flow against a real fake provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import urlparse

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from crisisdesk import settings_parts
from crisisdesk.models import AuditEvent, Role, User
from escalation import services
from tests.console.fake_oidc import FakeOIDCProvider

pytestmark = pytest.mark.django_db

TECNICA_GROUP = "crisis-desk-tecnica"
JURIDICO_GROUP = "crisis-desk-juridico"


@pytest.fixture(scope="module")
def provider():
    server = FakeOIDCProvider().start()
    yield server
    server.stop()


def sign_on_settings(settings, provider: FakeOIDCProvider, **environment: str) -> None:
    """What the deployment's environment would give: the settings built as crisisdesk/settings.py builds them."""
    values = settings_parts.single_sign_on(
        provider.settings_environment(
            OIDC_DEPARTMENT_GROUPS=f"{TECNICA_GROUP}=tecnica,{JURIDICO_GROUP}=juridico", **environment
        )
    )
    for name, value in values.items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, settings_parts.SINGLE_SIGN_ON_BACKEND]


@pytest.fixture
def sign_on(settings, provider):
    provider.state.tamper = ""
    provider.state.deny = False
    sign_on_settings(settings, provider)
    return provider


def through_the_provider(client: Client, next_url: str = "") -> object:
    """The browser's walk: our start page, the provider's consent, back to our callback."""
    start = client.get(reverse("sign_on:start"), {"next": next_url} if next_url else {})
    assert start.status_code == 302, start.content
    consent = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert consent.status_code == 302, consent.text
    back = urlparse(consent.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id) if user_id else None


def test_marta_signs_in_with_single_sign_on_and_sees_only_her_departments_desk(
    client, sign_on, department_head, other_department, community_manager
):
    # Given Marta, head of Técnica, whose company account is in the Técnica group, and a request for each department
    ours = services.escalation_request_create(raised_by=community_manager, department=department_head.departments.get(),
                                              question="¿Avería en Madrid?")
    theirs = services.escalation_request_create(raised_by=community_manager, department=other_department,
                                                question="¿Cláusula?")
    sign_on.signs_in(email="Marta@Telco.example", groups=[TECNICA_GROUP], given_name="Marta")
    # When she signs in through the provider
    response = through_the_provider(client)
    # Then she is signed in as herself and lands on her desk, which shows Técnica's request only
    assert response.status_code == 302 and signed_in_user(client) == department_head
    assert client.get(response["Location"])["Location"] == reverse("escalation:desk")
    desk = client.get(reverse("escalation:desk")).content.decode()
    assert f'id="escalation-{ours.pk}"' in desk and f'id="escalation-{theirs.pk}"' not in desk
    # And the sign-in is in the audit trail with the provider's subject
    event = AuditEvent.objects.get(verb="user.signed_on")
    assert event.actor == department_head and event.data["subject"] == sign_on.state.person["sub"]
    assert event.data["created"] is False and event.data["departments"] == ["tecnica"]


def test_someone_from_a_domain_that_is_not_allowed_is_refused_with_the_reason(client, sign_on, department):
    sign_on.signs_in(email="intruder@gmail.example", groups=[TECNICA_GROUP])
    response = through_the_provider(client)
    assert response.status_code == 403
    assert "No Crisis Desk account uses intruder@gmail.example" in response.content.decode()
    assert signed_in_user(client) is None and not User.objects.filter(email="intruder@gmail.example").exists()


def test_a_new_colleague_from_the_company_domain_gets_an_account_in_her_department_and_no_password(
    client, settings, provider, department, other_department
):
    sign_on_settings(settings, provider, OIDC_ALLOWED_EMAIL_DOMAINS="telco.example")
    provider.signs_in(email="nuria@telco.example", groups=[TECNICA_GROUP, "all-staff"], given_name="Nuria",
                      family_name="Pérez")
    response = through_the_provider(client)
    user = signed_in_user(client)
    assert response.status_code == 302 and user is not None
    assert (user.email, user.role, user.get_full_name()) == ("nuria@telco.example", Role.DEPARTMENT_HEAD, "Nuria Pérez")
    assert not user.has_usable_password()
    assert list(user.departments.values_list("slug", flat=True)) == ["tecnica"]


def test_a_company_account_in_no_mapped_department_gets_no_account(client, settings, provider, department):
    sign_on_settings(settings, provider, OIDC_ALLOWED_EMAIL_DOMAINS="telco.example")
    provider.signs_in(email="becario@telco.example", groups=["all-staff"])
    response = through_the_provider(client)
    assert response.status_code == 403 and "in no Crisis Desk department" in response.content.decode()
    assert not User.objects.filter(email="becario@telco.example").exists()


def test_departments_follow_the_groups_but_the_role_stays(client, sign_on, department_head, other_department):
    # Given Marta moved from Técnica to Jurídico in the company directory
    sign_on.signs_in(email=department_head.email, groups=[JURIDICO_GROUP], role="admin")
    through_the_provider(client)
    department_head.refresh_from_db()
    assert list(department_head.departments.values_list("slug", flat=True)) == ["juridico"]
    # Heads are named in Crisis Desk, and no claim makes anyone an administrator
    assert department_head.headed_departments.filter(slug="tecnica").exists()
    assert department_head.role == Role.DEPARTMENT_HEAD


@pytest.mark.parametrize("tamper", ["signature", "audience", "nonce", "issuer", "expired"])
def test_an_id_token_that_does_not_verify_signs_nobody_in(client, sign_on, department_head, tamper):
    sign_on.signs_in(email=department_head.email, groups=[TECNICA_GROUP])
    sign_on.state.tamper = tamper
    response = through_the_provider(client)
    assert response.status_code == 403
    assert "could not be verified" in response.content.decode()
    assert signed_in_user(client) is None


def test_declining_at_the_provider_is_a_403_with_the_reason(client, sign_on, department_head):
    sign_on.signs_in(email=department_head.email)
    sign_on.state.deny = True
    response = through_the_provider(client)
    assert response.status_code == 403 and "did not sign you in" in response.content.decode()
    assert signed_in_user(client) is None


def test_the_next_page_is_kept_but_an_off_site_one_is_ignored(client, sign_on, department_head):
    sign_on.signs_in(email=department_head.email)
    assert through_the_provider(client, reverse("escalation:on_call"))["Location"] == reverse("escalation:on_call")
    client.logout()
    assert through_the_provider(client, "https://evil.example/")["Location"] == reverse("start")


def test_an_unverified_email_address_is_refused(client, sign_on, department_head):
    sign_on.signs_in(email=department_head.email, email_verified=False)
    response = through_the_provider(client)
    assert response.status_code == 403 and "not verified" in response.content.decode()
    assert signed_in_user(client) is None


def test_a_callback_replayed_or_never_started_is_a_400(client, sign_on, department_head):
    sign_on.signs_in(email=department_head.email, groups=[TECNICA_GROUP])
    start = client.get(reverse("sign_on:start"))
    back = urlparse(requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"])
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    client.logout()
    replayed = client.get(f"{back.path}?{back.query}")
    assert replayed.status_code == 400 and "expired or was already used" in replayed.content.decode()
    assert Client().get(f"{back.path}?{back.query}").status_code == 400


def test_logging_out_ends_a_single_sign_on_session(client, sign_on, department_head):
    sign_on.signs_in(email=department_head.email, groups=[TECNICA_GROUP])
    through_the_provider(client)
    assert client.get(reverse("escalation:desk")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("escalation:desk")).status_code == 302


def test_a_password_login_never_reaches_the_provider(client, sign_on, department_head):
    requests_before = len(sign_on.state.token_requests)
    response = client.post(
        reverse("login") + "?code=forged&state=forged",
        {"username": department_head.username, "password": "secret-pass-123"},
    )
    assert response.status_code == 302 and signed_in_user(client) == department_head
    assert len(sign_on.state.token_requests) == requests_before


def test_an_unreachable_provider_leaves_the_password_login(client, settings, provider):
    sign_on_settings(settings, provider, OIDC_OP_DISCOVERY="http://127.0.0.1:9")
    response = client.get(reverse("sign_on:start"))
    assert response.status_code == 503 and "cannot be reached" in response.content.decode()
    assert 'id="id_password"' in response.content.decode()


def test_the_login_page_offers_single_sign_on_only_when_it_is_configured(client, settings, provider):
    assert settings.OIDC_ENABLED is False
    assert 'data-testid="sign-on"' not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("sign_on:start")).status_code == 404
    assert client.get(reverse("sign_on:callback")).status_code == 404
    sign_on_settings(settings, provider)
    assert "Sign in with single sign-on" in client.get(reverse("login")).content.decode()


def test_the_settings_stay_off_without_a_client_or_a_provider():
    assert settings_parts.single_sign_on({})["OIDC_ENABLED"] is False
    assert settings_parts.single_sign_on({"OIDC_OP_DISCOVERY": "https://login.example"})["OIDC_ENABLED"] is False
    endpoints = {name: "https://login.example/x" for name in settings_parts.OIDC_ENDPOINT_NAMES}
    explicit = settings_parts.single_sign_on({"OIDC_RP_CLIENT_ID": "crisis-desk", **endpoints})
    assert explicit["OIDC_ENABLED"] is True and explicit["OIDC_USE_PKCE"] is True


def test_the_deployments_environment_turns_it_on_and_keeps_the_password_backends(settings, tmp_path):
    # Without the environment (these tests' settings) nothing of it is on
    assert settings_parts.SINGLE_SIGN_ON_BACKEND not in settings.AUTHENTICATION_BACKENDS
    # With it, crisisdesk/settings.py applies the OIDC_* settings and adds the backend after the password ones
    code = (
        "import json, django, os\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'crisisdesk.settings'\n"
        "django.setup()\n"
        "from django.conf import settings as s\n"
        "print(json.dumps([s.AUTHENTICATION_BACKENDS, s.OIDC_USE_PKCE, s.OIDC_OP_DISCOVERY, s.OIDC_DEPARTMENT_GROUPS]))"
    )
    environment = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    environment.update(
        CRISISDESK_DATA_DIR=str(tmp_path), OIDC_RP_CLIENT_ID="crisis-desk", OIDC_OP_DISCOVERY="https://login.example",
        OIDC_DEPARTMENT_GROUPS="crisis-desk-tecnica=tecnica",
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=environment,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    backends, pkce, discovery, groups = json.loads(completed.stdout)
    assert backends == ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend",
                        settings_parts.SINGLE_SIGN_ON_BACKEND]
    assert (pkce, discovery, groups) == (True, "https://login.example", {"crisis-desk-tecnica": "tecnica"})
