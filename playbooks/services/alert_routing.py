"""Alert routing: who hears of an alert, by which channel, again while nobody acknowledges it.

When an alert opens, every active route it matches (brand, severity, suggested level, crisis
type) gets an `AlertDispatch` with a snapshot of the route, and step 0's messages are recorded as
`CrisisNotification` rows: an e-mail to each person (the route's people and its departments'
on-call now, `escalation.selectors_oncall`), one message to its Slack and Teams channels; and the
`alert.opened` event goes to the outgoing webhooks (`inbox.hooks.outgoing_event_emit`, once per
alert). Rows are unique per alert, step, recipient and channel, so a message is recorded and sent
exactly once (`playbooks.notifications` claims each send), whatever runs twice.

Re-notification is a timer row: the beat (`alerts_renotify`) claims a dispatch's next step with a
conditional UPDATE of its `step`; only the claimant records that step's messages — to the route's
"re-notify instead" people, or the same ones again. Acknowledging clears every dispatch's timer.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from crisisdesk.celery import app as celery_app
from crisisdesk.models import User
from escalation.models import Department
from escalation.selectors_oncall import department_on_call
from escalation.services.delivery import brand_language
from inbox.hooks import outgoing_event_emit
from playbooks.alert_links import alert_link_url
from playbooks.alert_messages import alert_message, email_bodies, slack_payload, teams_payload, webhook_event_payload
from playbooks.models import (
    Alert,
    AlertChannel,
    AlertDispatch,
    AlertRoute,
    AlertStatus,
    CrisisNotification,
    CrisisNotificationKind,
    CrisisNotificationState,
)
from playbooks.notifications import crisis_notifications_send

ALERT_OPENED_EVENT = "alert.opened"
RENOTIFY_BATCH = 100
ALERT_NOTIFICATIONS_SEND_TASK = "notify.alert_notifications_send"


def alert_routes_matching(*, alert: Alert) -> list[AlertRoute]:
    """The active routes an alert matches: its brand or any, severity and level at least theirs, their types."""
    routes = (
        AlertRoute.objects.filter(
            is_active=True, min_severity__lte=alert.severity, min_level__lte=alert.suggested_level
        )
        .filter(Q(brand="") | Q(brand=alert.brand))
        .prefetch_related("users", "departments", "renotify_users")
        .order_by("pk")
    )
    return [route for route in routes if not route.crisis_types or alert.suggested_type in route.crisis_types]


def _people(snapshot: dict, *, step: int, now: datetime) -> list[User]:
    """Step 0 and "the same again": the route's people and its departments' on-call now; later steps
    of a route with "re-notify instead" people: those."""
    if step and snapshot.get("renotify_users"):
        return list(User.objects.filter(pk__in=snapshot["renotify_users"], is_active=True).order_by("pk"))
    ids = set(snapshot.get("users", []))
    for department in Department.objects.filter(pk__in=snapshot.get("departments", [])):
        on_call = department_on_call(department=department, now=now).user
        if on_call is not None:
            ids.add(on_call.pk)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def _email_rows(alert: Alert, *, step: int, people: list[User]) -> list[CrisisNotification]:
    rows = []
    for person in people:
        if not person.email:
            continue
        with translation.override(person.language or brand_language()):
            message = alert_message(alert=alert, step=step, link=alert_link_url(alert_id=alert.pk, user_id=person.pk))
            text, html = email_bodies(message)
        rows.append(
            CrisisNotification(
                alert=alert, kind=CrisisNotificationKind.ALERT, medium=AlertChannel.EMAIL, step=step,
                recipient_key=f"user:{person.pk}", recipient=person, address=person.email,
                subject=message.subject, body=text, html=html,
            )
        )
    return rows


def _chat_rows(alert: Alert, *, step: int, dispatch: AlertDispatch) -> list[CrisisNotification]:
    rows = []
    for medium, builder in ((AlertChannel.SLACK, slack_payload), (AlertChannel.TEAMS, teams_payload)):
        if not dispatch.route_snapshot.get(medium) or dispatch.route_id is None:
            continue
        with translation.override(brand_language()):
            message = alert_message(alert=alert, step=step, link=alert_link_url(alert_id=alert.pk, user_id=None))
            payload = builder(message)
        rows.append(
            CrisisNotification(
                alert=alert, kind=CrisisNotificationKind.ALERT, medium=medium, step=step,
                recipient_key=f"route:{dispatch.route_id}", subject=message.subject, body=message.subject,
                payload=payload,
            )
        )
    return rows


def _step_record(*, alert: Alert, dispatch: AlertDispatch, step: int, now: datetime) -> list[int]:
    """Record one step's messages of one dispatch (a row that exists already is kept, not doubled);
    returns the ids of the step's rows still waiting to be sent."""
    snapshot = dispatch.route_snapshot
    rows = _email_rows(alert, step=step, people=_people(snapshot, step=step, now=now)) if snapshot.get("email") else []
    rows += _chat_rows(alert, step=step, dispatch=dispatch)
    CrisisNotification.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        CrisisNotification.objects.filter(alert=alert, step=step, state=CrisisNotificationState.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _next_at(snapshot: dict, *, step: int, now: datetime) -> datetime | None:
    """When the re-notification after `step` is due; None when the route re-notifies no more."""
    minutes, times = snapshot.get("renotify_minutes", 0), snapshot.get("renotify_times", 0)
    return now + timedelta(minutes=minutes) if minutes and step < times else None


def alert_notifications_send_on_commit(notification_ids: list[int]) -> None:
    """After commit, hand the recorded rows to a worker (chat webhooks are slow; detection must not wait)."""
    if notification_ids:
        ids = list(notification_ids)
        transaction.on_commit(lambda: celery_app.signature(ALERT_NOTIFICATIONS_SEND_TASK, args=[ids]).delay())


def alert_route(*, alert: Alert, now: datetime) -> list[int]:
    """Inside the transaction that opened the alert: dispatch it along every matching route, record
    step 0's messages, emit `alert.opened` when a route asks for it; sends after commit. Idempotent."""
    ids: list[int] = []
    emit = False
    for route in alert_routes_matching(alert=alert):
        snapshot = route.snapshot()
        dispatch, created = AlertDispatch.objects.get_or_create(
            alert=alert, route=route,
            defaults={"route_snapshot": snapshot, "step": 0, "next_at": _next_at(snapshot, step=0, now=now)},
        )
        if created:
            ids += _step_record(alert=alert, dispatch=dispatch, step=0, now=now)
        emit = emit or route.emit_webhook_event
    if emit:
        outgoing_event_emit(
            event_type=ALERT_OPENED_EVENT,
            payload=webhook_event_payload(alert),
            event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"alert:{alert.pk}:opened"),
        )
    alert_notifications_send_on_commit(sorted(set(ids)))
    return ids


def _renotify_one(*, dispatch_id: int, step: int, now: datetime) -> list[int]:
    """Claim and record one dispatch's next step; nothing when another sweeper claimed it first."""
    with transaction.atomic():
        dispatch = AlertDispatch.objects.select_related("alert").filter(pk=dispatch_id).first()
        if dispatch is None or dispatch.alert.acknowledged_at or dispatch.alert.status != AlertStatus.OPEN:
            return []
        # Only the dispatch's own columns: PostgreSQL re-checks them on the row a concurrent sweeper
        # committed, so the loser updates nothing. Acknowledging clears `next_at` under the same row lock.
        claimed = AlertDispatch.objects.filter(pk=dispatch_id, step=step, next_at__lte=now).update(
            step=step + 1, next_at=_next_at(dispatch.route_snapshot, step=step + 1, now=now)
        )
        if not claimed:
            return []
        ids = _step_record(alert=dispatch.alert, dispatch=dispatch, step=step + 1, now=now)
        alert_notifications_send_on_commit(ids)
        return ids


def alerts_renotify(*, now: datetime | None = None) -> int:
    """Beat: re-notify every open, unacknowledged alert whose route's next step is due; exactly once per
    step, even with two sweepers. Returns how many messages were recorded."""
    now = now or timezone.now()
    due = list(
        AlertDispatch.objects.filter(
            next_at__lte=now, alert__acknowledged_at__isnull=True, alert__status=AlertStatus.OPEN
        )
        .order_by("next_at", "pk")
        .values_list("pk", "step")[:RENOTIFY_BATCH]
    )
    return sum(len(_renotify_one(dispatch_id=pk, step=step, now=now)) for pk, step in due)


def alert_notifications_send(*, notification_ids: list[int]) -> int:
    """Send recorded alert messages (each claimed once); returns how many went out."""
    return crisis_notifications_send(notification_ids=notification_ids)
