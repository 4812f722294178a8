"""Alert routing: an alert reaches its route's people and on-call by e-mail, Slack, Teams and the
`alert.opened` webhook, once each; it is re-notified, exactly once per step, until someone acknowledges."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import jsonschema
import pytest
from django.core import mail
from django.db import connection

from crisisdesk.models import AuditEvent
from integrations.models import WebhookDelivery, WebhookEndpoint
from playbooks import notifications, services
from playbooks.alert_messages import SLACK_ACTION_ALERT_ACKNOWLEDGE, SLACK_ACTION_ALERT_OPEN
from playbooks.models import CrisisNotification, CrisisNotificationState
from tests.factories import UserFactory
from tests.playbooks.alerting import CARD_SCHEMA, SLACK_HOOK, T0, TEAMS_HOOK, alert_opened, make_route

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_call(department, department_head):
    department.on_duty = department_head
    department.save(update_fields=["on_duty"])
    return department_head


@pytest.fixture
def endpoint(admin_user):
    return WebhookEndpoint.objects.create(
        name="PagerDuty", url="https://hooks.example.com/crisis", events=["alert.opened"], secret="s" * 32,
        created_by=admin_user,
    )


def test_an_alert_reaches_every_channel_of_its_route_once(
    admin_user, director, department, on_call, endpoint, chat, django_capture_on_commit_callbacks
):
    # Given a route for Telco: Elena, Técnica's on-call (Marta), Slack, Teams and the webhook event
    make_route(admin_user, people=[director], departments=[department])

    # When detection opens a reach alert
    alert = alert_opened(capture=django_capture_on_commit_callbacks)

    # Then Elena and Marta each get one e-mail, text and HTML, explaining the alert, with their own link
    assert sorted(message.to[0] for message in mail.outbox) == ["elena@telco.example", "marta@telco.example"]
    email = next(message for message in mail.outbox if message.to == ["elena@telco.example"])
    assert email.subject == "[Crisis Desk] Alert for Telco: Reach and engagement, severity 3/10"
    assert "Now 24.6 a minute against a baseline of 2.1 ± 1.4 (threshold 15.0)." in email.body
    assert "Top terms: fibra, caída, madrid" in email.body
    assert "Cluster (2): Caída de la fibra en Madrid" in email.body
    assert "@famosa (2000000): <b>Caída</b> total en Madrid" in email.body
    assert f"/alerts/{alert.pk}/respond/" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert "&lt;b&gt;Caída&lt;/b&gt;" in html and "<b>Caída</b>" not in html  # strangers' text escaped
    assert f"/alerts/{alert.pk}/respond/" in html and "Acknowledge alert" in html

    # and Slack gets Block Kit: subject, explanation, an "Acknowledge alert" button and an "Open" link
    [slack] = chat.to(SLACK_HOOK)
    assert [block["type"] for block in slack["blocks"]] == ["section", "section", "context", "actions"]
    assert slack["blocks"][0]["text"]["text"].startswith(
        "*[Crisis Desk] Alert for Telco: Reach and engagement, severity 3/10*\nSuggested: Technical crisis, level 2."
    )
    explanation = slack["blocks"][1]["text"]["text"]
    assert "*Top terms:* fibra, caída, madrid" in explanation
    assert "> *@famosa* (2000000): &lt;b&gt;Caída&lt;/b&gt; total en Madrid" in explanation
    acknowledge, open_page = slack["blocks"][3]["elements"]
    assert acknowledge["action_id"] == SLACK_ACTION_ALERT_ACKNOWLEDGE and "url" not in acknowledge
    assert acknowledge["value"].startswith(f"{alert.pk}|") and acknowledge["style"] == "primary"
    assert open_page["action_id"] == SLACK_ACTION_ALERT_OPEN and f"/alerts/{alert.pk}/respond/" in open_page["url"]
    assert slack["blocks"][3]["block_id"] == f"alert-{alert.pk}"

    # and Teams gets an Adaptive Card 1.5 in the Workflows envelope, valid against the schema
    [teams] = chat.to(TEAMS_HOOK)
    assert teams["type"] == "message"
    [attachment] = teams["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    jsonschema.validate(card, CARD_SCHEMA)
    assert card["version"] == "1.5"
    assert card["body"][0]["text"] == "[Crisis Desk] Alert for Telco: Reach and engagement, severity 3/10"
    assert {"title": "Top terms", "value": "fibra, caída, madrid"} in card["body"][3]["facts"]
    [button] = card["actions"]
    assert button["type"] == "Action.OpenUrl" and f"/alerts/{alert.pk}/respond/" in button["url"]

    # and the outgoing webhook is told `alert.opened`, once, with the alert and its explanation
    [delivery] = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert delivery.event_type == "alert.opened" and delivery.payload["type"] == "alert.opened"
    event = delivery.payload["data"]["alert"]
    assert (event["id"], event["brand"], event["signal"], event["severity"]) == (alert.pk, "Telco", "reach", 3)
    assert event["url"].endswith(f"/alerts/{alert.pk}/")
    assert event["explanation"]["top_terms"] == ["fibra", "caída", "madrid"]

    # Each message is a sent delivery record, one per alert × recipient × channel
    rows = CrisisNotification.objects.filter(alert=alert)
    assert sorted((row.medium, row.recipient_key) for row in rows) == sorted(
        [("email", f"user:{director.pk}"), ("email", f"user:{on_call.pk}"),
         ("slack", f"route:{alert.dispatches.get().route_id}"), ("teams", f"route:{alert.dispatches.get().route_id}")]
    )
    assert {row.state for row in rows} == {CrisisNotificationState.SENT}

    # Routing the same alert again sends nothing new
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_route(alert=alert, now=T0)
    assert len(mail.outbox) == 2 and len(chat.requests) == 2 and rows.count() == 4
    assert WebhookDelivery.objects.count() == 1


def test_an_alert_outside_a_route_reaches_nobody(admin_user, director, chat, django_capture_on_commit_callbacks):
    # Given a route for commercial crises of severity 5 and more only
    make_route(admin_user, people=[director], min_severity=5, crisis_types=["commercial"])

    # When a severity-3 technical alert opens, and another brand's
    alert_opened(capture=django_capture_on_commit_callbacks)
    alert_opened(capture=django_capture_on_commit_callbacks, brand="Otra", suggested_type="commercial", observed=90)

    # Then nobody was told
    assert mail.outbox == [] and chat.requests == []


def test_a_failed_chat_message_is_retried_with_backoff_until_it_goes_out(
    admin_user, director, chat, django_capture_on_commit_callbacks
):
    # Given Slack and Teams answering 500
    make_route(admin_user, people=[director])
    chat.fail = True
    alert = alert_opened(capture=django_capture_on_commit_callbacks)
    failed = CrisisNotification.objects.filter(alert=alert, state=CrisisNotificationState.FAILED)
    assert {row.medium for row in failed} == {"slack", "teams"}
    assert all("HTTPStatusError" in row.error and row.next_try_at for row in failed)

    # When they recover and the backoff has passed, the retry beat sends each once
    chat.fail = False
    later = max(row.next_try_at for row in failed) + timedelta(seconds=1)
    assert notifications.crisis_notifications_retry_due(now=later) == 2
    assert notifications.crisis_notifications_retry_due(now=later + timedelta(hours=3)) == 0
    assert len(chat.to(SLACK_HOOK)) == 2 and len(chat.to(TEAMS_HOOK)) == 2  # the failed try, then the retry


def _step_rows(alert, step):
    return sorted(
        CrisisNotification.objects.filter(alert=alert, step=step).values_list("medium", "recipient_key")
    )


@pytest.mark.django_db(transaction=True)
def test_nobody_acknowledges_so_each_step_is_re_notified_exactly_once_even_with_two_sweepers(
    admin_user, director, chat, django_capture_on_commit_callbacks
):
    # Given a route that re-notifies Luis (the backup) every 10 minutes, twice
    backup = UserFactory(role="director", username="luis", first_name="Luis")
    make_route(admin_user, people=[director], renotify=[backup])
    alert = alert_opened(capture=django_capture_on_commit_callbacks)
    assert [message.to for message in mail.outbox] == [["elena@telco.example"]]

    # When two sweepers run at the same moment, 11 minutes later, and nobody has acknowledged
    start = threading.Barrier(2)
    counts: list[int] = []

    def sweep() -> None:
        try:
            start.wait()
            counts.append(services.alerts_renotify(now=T0 + timedelta(minutes=11)))
        finally:
            connection.close()

    sweepers = [threading.Thread(target=sweep) for _ in range(2)]
    for sweeper in sweepers:
        sweeper.start()
    for sweeper in sweepers:
        sweeper.join()

    # Then step 1 went out once: Luis's e-mail (a reminder), Slack and Teams again
    assert sorted(counts) == [0, 3]
    route_key = f"route:{alert.dispatches.get().route_id}"
    assert _step_rows(alert, 1) == [("email", f"user:{backup.pk}"), ("slack", route_key), ("teams", route_key)]
    reminders = [message for message in mail.outbox if message.to == ["luis@telco.example"]]
    assert len(reminders) == 1 and reminders[0].subject.startswith("Reminder · [Crisis Desk] Alert for Telco")
    assert "Re-notification 1: nobody has acknowledged the alert yet." in reminders[0].body
    assert len(chat.to(SLACK_HOOK)) == 2

    # A minute later nothing is due; at 21 minutes step 2; after that the route has re-notified enough
    assert services.alerts_renotify(now=T0 + timedelta(minutes=12)) == 0
    assert services.alerts_renotify(now=T0 + timedelta(minutes=22)) == 3
    assert services.alerts_renotify(now=T0 + timedelta(minutes=60)) == 0
    assert len([message for message in mail.outbox if message.to == ["luis@telco.example"]]) == 2


def test_acknowledging_from_the_console_stops_re_notification_and_is_audited(
    admin_user, director, chat, client, django_capture_on_commit_callbacks
):
    make_route(admin_user, people=[director])
    alert = alert_opened(capture=django_capture_on_commit_callbacks)
    client.force_login(director)
    page = client.get(f"/alerts/{alert.pk}/")
    assert page.status_code == 200 and b'data-testid="alert-acknowledge"' in page.content
    assert "Now 24.6 a minute against a baseline of 2.1 ± 1.4" in page.content.decode()

    response = client.post(f"/alerts/{alert.pk}/acknowledge/")

    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == director and alert.acknowledged_via == "console"
    assert AuditEvent.objects.filter(verb="alert.acknowledge", target_id=str(alert.pk), actor=director).exists()
    assert services.alerts_renotify(now=T0 + timedelta(minutes=30)) == 0
    assert not re.search(r"Reminder", " ".join(message.subject for message in mail.outbox))
