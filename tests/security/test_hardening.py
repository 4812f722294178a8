"""CSRF on every form, secrets only from the environment, credentials never shown, an immutable audit."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client, RequestFactory
from django.utils import timezone

from crisisdesk.models import AuditEvent
from escalation.forms import promise_default
from tests.security.conftest import CHANNEL_SECRET
from tests.security.test_permission_matrix import routes, url_for

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)

# Routes that take POSTs without a CSRF token on purpose: platforms sign them, or a token is exchanged.
CSRF_EXEMPT = {
    "hooks:meta",
    "hooks:generic",
    "hooks:discourse",
    "api-token-login",
    "escalation:slack_interactions",
    "escalation:mail_mailgun",
    "escalation:mail_postmark",
}


def test_every_route_refuses_a_post_without_a_csrf_token(world):
    # Given a logged-in administrator whose browser would send the session cookie to a forged form
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    failures = []
    exempt_seen = set()
    for route, name, _callback in routes():
        if name in CSRF_EXEMPT:
            exempt_seen.add(name)
            continue
        # When anything is POSTed without the token
        response = client.post(url_for(route, name, world), {"reason": "x", "body": "x", "text": "x"})
        # Then it is refused before the view runs
        if response.status_code != 403:
            failures.append(f"POST {name} without a CSRF token → {response.status_code}")
    assert failures == [], "\n".join(failures)
    assert exempt_seen == CSRF_EXEMPT
    assert AuditEvent.objects.filter(actor=world.admin).count() == 0, "a forged POST changed something"


def test_the_login_form_itself_requires_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": world.admin.username, "password": "secret-pass-123"})
    assert response.status_code == 403


SECRET_NAME = re.compile(r"(SECRET|PASSWORD|TOKEN|_KEY$|CREDENTIAL)", re.IGNORECASE)
DEMO_KEY_PREFIX = "embedded-demo-only-key"
# The demo logins' shared password is printed in the README on purpose.
DOCUMENTED_DEMO_VALUES = {"DEMO_PASSWORD"}
# Secret-sounding names whose values are not secrets: django-axes names the login form's password field.
FIELD_NAMES = {"AXES_PASSWORD_FORM_FIELD"}


def test_settings_take_every_secret_from_the_environment():
    # Given a process with none of the secrets in its environment (the embedded demo)
    code = (
        "import json, os, django\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'crisisdesk.settings'\n"
        "django.setup()\n"
        "from django.conf import settings as s\n"
        "print(json.dumps({k: str(getattr(s, k)) for k in dir(s) if k.isupper()}))"
    )
    env = {key: value for key, value in os.environ.items() if not SECRET_NAME.search(key)}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env["CRISISDESK_DATA_DIR"] = "/tmp/crisisdesk-secret-check"
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    values = json.loads(completed.stdout)
    # Then every secret-looking setting is empty, except the documented embedded demo key
    from django.conf import global_settings

    secret_names = {
        name
        for name in values
        if SECRET_NAME.search(name) and not hasattr(global_settings, name) and name not in FIELD_NAMES
    }
    secret_names |= {"SECRET_KEY", "SECRET_KEY_FALLBACKS", "EMAIL_HOST_PASSWORD"}
    assert {"CREDENTIALS_KEY", "META_APP_SECRET", "META_VERIFY_TOKEN"} <= secret_names
    secrets = {name: values[name] for name in secret_names if values.get(name) not in (None, "", "[]")}
    assert secrets.pop("SECRET_KEY").startswith(DEMO_KEY_PREFIX)
    assert {name: value for name, value in secrets.items() if len(value) >= 8} == {}

    # And with a database configured, a missing SECRET_KEY stops the process instead of using a default
    env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none"
    failed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert failed.returncode != 0 and "SECRET_KEY must be set" in failed.stderr


def test_no_source_file_assigns_a_literal_secret():
    """A grep with a parser: no `*SECRET*`/`*PASSWORD*`/`*TOKEN*`/`*_KEY` name is given a string literal."""
    offenders = []
    for directory in ("crisisdesk", "inbox", "escalation", "playbooks"):
        for path in (ROOT / directory).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                value = getattr(node, "value", None)
                if not isinstance(node, ast.Assign | ast.AnnAssign) or not isinstance(value, ast.Constant):
                    continue
                for target in targets:
                    name = getattr(target, "id", "") or getattr(target, "attr", "")
                    if name in DOCUMENTED_DEMO_VALUES:
                        continue
                    if (
                        name.isupper()
                        and SECRET_NAME.search(name)
                        and isinstance(value.value, str)
                        and len(value.value) >= 12
                    ):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert offenders == []


def test_channel_credentials_never_appear_on_any_page_or_api(world):
    # Given a channel holding a bearer token, and every role signed in
    leaks = []
    for who, user in world.users().items():
        client = Client()
        if user is not None:
            client.force_login(user)
        # When they open every page and API
        for route, name, _callback in routes():
            url = url_for(route, name, world)
            body = client.get(url).content.decode(errors="replace")
            if CHANNEL_SECRET in body:
                leaks.append(f"{who} {url}")
    # And the administrator opens the admin's channel pages
    admin_client = Client()
    admin_client.force_login(world.admin)
    for url in ("/admin/inbox/channel/", f"/admin/inbox/channel/{world.channel.pk}/change/"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        if CHANNEL_SECRET in response.content.decode():
            leaks.append(f"admin {url}")
    # Then the secret is never in a response, while it is really stored (encrypted)
    assert leaks == []
    from inbox.credentials import credentials_decrypt

    assert credentials_decrypt(world.channel.credentials_encrypted)["bearer_token"] == CHANNEL_SECRET


def test_no_one_can_edit_or_delete_the_audit_trail(world):
    event = AuditEvent.objects.first()
    assert event is not None
    # not through the model
    event.verb = "forged"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    # not through the admin, not even a superuser
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/admin/")
    request.user = world.admin
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    client = Client()
    client.force_login(world.admin)
    response = client.post(f"/admin/crisisdesk/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).verb != "forged"


ACTIONS = [
    # (who, url template, data, verb)
    ("community_manager", "/inbox/mentions/{mention}/assign/", {"assignee": "me"}, "mention.assign"),
    (
        "community_manager",
        "/inbox/mentions/{mention}/reply/",
        {"body": "Lo estamos mirando"},
        "mention.reply",
    ),
    ("community_manager", "/inbox/mentions/{mention}/hide/", {"reason": "Insultos"}, "mention.hide"),
    ("community_manager", "/inbox/mentions/{mention}/unhide/", {}, "mention.unhide"),
    ("community_manager", "/inbox/mentions/{mention}/close/", {}, "mention.close"),
    ("community_manager", "/inbox/mentions/{mention}/reopen/", {}, "mention.reopen"),
    (
        "head_of_a",
        "/escalation/{request}/acknowledge/",
        {"promised_at": promise_default(timezone.now() + timedelta(days=1))},
        "escalation.acknowledge",
    ),
    ("head_of_a", "/escalation/{request}/answer/", {"text": "Reparado a las 14:00"}, "escalation.answer"),
    ("director", "/crises/{crisis}/level/", {"level": "3"}, "crisis.level"),
    ("director", "/crises/{crisis}/statements/", {"body": "Comunicado"}, "statement.submit"),
]


def test_every_user_action_lands_in_the_audit_trail_with_its_actor(world):
    users = world.users()
    ids = {"mention": world.mention.pk, "request": world.escalation_request.pk, "crisis": world.crisis.pk}
    missing = []
    for who, template, data, verb in ACTIONS:
        client = Client()
        client.force_login(users[who])
        before = AuditEvent.objects.filter(verb=verb, actor=users[who]).count()
        response = client.post(template.format(**ids), data)
        assert response.status_code in (200, 204, 302), (template, response.status_code)
        if AuditEvent.objects.filter(verb=verb, actor=users[who]).count() != before + 1:
            missing.append(f"{who} POST {template} did not record {verb}")
    assert missing == []
