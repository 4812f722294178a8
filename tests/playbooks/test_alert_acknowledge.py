"""Acknowledging an alert from its message: the signed link's phone page, the Slack button through the
verified interactivity endpoint; a bad, foreign or expired link is refused and changes nothing."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core import mail

from crisisdesk.models import AuditEvent
from escalation import slack
from playbooks import services
from playbooks.alert_links import alert_link_token
from playbooks.models import Alert
from tests.playbooks.alerting import SLACK_HOOK, T0, alert_opened, make_route, slack_secret
from tests.realtime import GroupListener

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed_alert(admin_user, director, chat, django_capture_on_commit_callbacks) -> Alert:
    make_route(admin_user, people=[director])
    return alert_opened(capture=django_capture_on_commit_callbacks)


def _emailed_link(alert: Alert) -> str:
    [email] = [message for message in mail.outbox if message.to == ["elena@telco.example"]]
    return re.search(rf"http\S+/alerts/{alert.pk}/respond/\S+/", email.body).group(0).split("8000", 1)[1]


def test_the_emailed_link_opens_the_phone_page_and_acknowledges_as_its_person(
    routed_alert, director, client, django_capture_on_commit_callbacks
):
    # Given Elena's link from her e-mail, opened on her phone without signing in
    link = _emailed_link(routed_alert)
    page = client.get(link)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Acknowledge alert" in text and "You act as Elena." in text
    assert "Now 24.6 a minute against a baseline of 2.1 ± 1.4 (threshold 15.0)." in text

    # When she taps "Acknowledge alert", the staff's consoles hear of it at once
    with GroupListener("role.community_manager") as console:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(link)
        pushed = console.receive()

    # Then the alert is hers, audited, shown live, and nobody is re-notified
    assert response.status_code == 302
    routed_alert.refresh_from_db()
    assert (routed_alert.acknowledged_by, routed_alert.acknowledged_via) == (director, "link")
    assert pushed["event"]["type"] == "alert.acknowledged" and pushed["event"]["id"] == routed_alert.pk
    assert AuditEvent.objects.filter(verb="alert.acknowledge", actor=director).count() == 1
    assert services.alerts_renotify(now=T0 + timedelta(minutes=30)) == 0
    assert "Acknowledged by" in client.get(link).content.decode()


def test_a_tampered_a_foreign_or_an_expired_link_is_refused_and_changes_nothing(
    routed_alert, client, settings, django_capture_on_commit_callbacks
):
    link = _emailed_link(routed_alert)
    other = alert_opened(capture=django_capture_on_commit_callbacks, brand="Otra")
    foreign = link.replace(f"/alerts/{routed_alert.pk}/", f"/alerts/{other.pk}/")
    tampered = link[:-3] + ("A" if link[-3] != "A" else "B") + "/"

    assert client.post(tampered).status_code == 403
    refused = client.post(foreign)
    assert refused.status_code == 403 and "This link is not valid for this alert." in refused.content.decode()
    settings.ALERT_LINK_MAX_AGE_SECONDS = -1
    expired = client.get(link)
    assert expired.status_code == 403 and "This link has expired." in expired.content.decode()
    assert client.post(link).status_code == 403

    routed_alert.refresh_from_db()
    assert routed_alert.acknowledged_at is None
    assert not AuditEvent.objects.filter(verb="alert.acknowledge").exists()


def test_a_chat_channels_link_asks_for_sign_in_and_only_console_staff_may_use_it(
    routed_alert, client, department_head, community_manager
):
    link = f"/alerts/{routed_alert.pk}/respond/{alert_link_token(alert_id=routed_alert.pk, user_id=None)}/"
    assert client.get(link)["Location"].startswith("/login/")
    client.force_login(department_head)
    assert client.post(link).status_code == 403
    client.force_login(community_manager)
    assert client.post(link).status_code == 302
    routed_alert.refresh_from_db()
    assert routed_alert.acknowledged_by == community_manager


def _slack_click(client, *, secret: str, value: str, signed_with: str | None = None):
    payload = {
        "type": "block_actions",
        "user": {"id": "U123", "name": "ana.garcia"},
        "actions": [{"action_id": "alert_acknowledge", "value": value}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()))
    return client.post(
        "/escalation/slack/interactions/",
        data=body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_SLACK_REQUEST_TIMESTAMP=timestamp,
        HTTP_X_SLACK_SIGNATURE=slack.signature_for(secret=signed_with or secret, timestamp=timestamp, body=body),
    )


def test_the_slack_button_acknowledges_through_the_verified_interactivity_endpoint(
    routed_alert, chat, client, settings
):
    settings.SLACK_SIGNING_SECRET = secret = slack_secret()
    [message] = chat.to(SLACK_HOOK)
    value = message["blocks"][3]["elements"][0]["value"]

    # A click Slack did not sign, and a signed click on a value we did not sign, change nothing
    assert _slack_click(client, secret=secret, value=value, signed_with=slack_secret()).status_code == 401
    assert _slack_click(client, secret=secret, value=f"{routed_alert.pk}|forged").status_code == 200
    routed_alert.refresh_from_db()
    assert routed_alert.acknowledged_at is None

    # The button's own click acknowledges in the name of the Slack user
    assert _slack_click(client, secret=secret, value=value).status_code == 200
    routed_alert.refresh_from_db()
    assert (routed_alert.acknowledged_via, routed_alert.acknowledged_label) == ("slack", "ana.garcia (Slack)")
    assert services.alerts_renotify(now=T0 + timedelta(minutes=30)) == 0
