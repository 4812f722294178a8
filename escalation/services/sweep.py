"""The chain's clock: the beat sweeper that climbs, reminds and marks overdue whatever is due.

Timers are columns read here, never only countdowns in a queue. Each request is handled in its own
transaction, locked with SKIP LOCKED so a second sweeper passes it by, and moved only by a guarded
update (`UPDATE … WHERE current_step = N AND current_attempt = A`), so two sweepers running at once
move a request exactly once. What to do is decided by `chain`; this module reads and writes rows.
The sweep also repairs delivery: steps whose notify task was lost, claims a worker died holding,
and failed sends whose backoff has passed are queued again (sending is claimed, so at most once).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from crisisdesk.audit import audit_record
from crisisdesk.text import header_safe
from escalation.events import escalation_publish
from escalation.models import (
    PENDING_STATUSES,
    EscalationEvent,
    EscalationNotification,
    EscalationRequest,
    EventKind,
    NotificationState,
    RequestStatus,
)
from escalation.selectors import request_mention_ids
from escalation.services import chain
from escalation.services.delivery import (
    notification_resend_enqueue,
    step_messages_enqueue,
    step_record,
    step_send,
)
from inbox.hooks import outgoing_event_emit

SWEEP_BATCH = 200


@dataclass
class SweepReport:
    """How many requests one sweep moved, re-escalated after a missed promise, reminded and marked
    overdue, and how many messages it requeued."""

    escalated: int = 0
    promises_missed: int = 0
    reminded: int = 0
    overdue: int = 0
    renotified: int = 0
    resent: int = 0


def escalations_sweep(*, now: datetime | None = None) -> SweepReport:
    """Act on every timer that is due: climb one step, remind, or mark overdue. Safe to run concurrently.

    Each request is handled in its own transaction, locked with SKIP LOCKED so a second sweeper
    passes it by, and moved only if its step is still the one this sweeper read.
    """
    now = now or timezone.now()
    report = SweepReport()
    pending = EscalationRequest.objects.filter(status=RequestStatus.OPEN)
    for request_id in _ids(pending.filter(next_action_at__lte=now).order_by("next_action_at")):
        report.escalated += _request_escalate(request_id=request_id, now=now)
    promised = EscalationRequest.objects.filter(status=RequestStatus.ACKNOWLEDGED, promised_at__lte=now)
    for request_id in _ids(promised.order_by("promised_at")):
        report.promises_missed += _request_promise_missed(request_id=request_id, now=now)
    for request_id in _ids(pending.filter(reminder_at__lte=now).order_by("reminder_at")):
        report.reminded += _request_remind(request_id=request_id, now=now)
    overdue = EscalationRequest.objects.filter(status__in=PENDING_STATUSES, due_at__lte=now, overdue_at__isnull=True)
    for request_id in _ids(overdue.order_by("due_at")):
        report.overdue += _request_mark_overdue(request_id=request_id, now=now)
    window = chain.repair_window(now=now, grace_seconds=settings.ESCALATION_NOTIFY_GRACE_SECONDS)
    report.renotified = _lost_notifications_requeue(window=window)
    report.resent = _stale_notifications_resend(window=window) + _failed_notifications_retry(now=now)
    return report


# --- delivery repairs -------------------------------------------------------------------------


def _lost_notifications_requeue(*, window: chain.RepairWindow) -> int:
    """Queue again the messages of steps whose notify task never ran (a worker killed before it)."""
    lost = list(
        EscalationEvent.objects.filter(
            kind=EventKind.NOTIFIED,
            request__status=RequestStatus.OPEN,
            created_at__lte=window.recorded_before,
            created_at__gte=window.recorded_after,
            data__dispatched__isnull=True,
        ).values_list("request_id", "step_index", "attempt")[:SWEEP_BATCH]
    )
    queued = 0
    for request_id, step_index, attempt in lost:
        if step_index is None:  # the column is nullable for other kinds; a step's record always has one
            continue
        step_messages_enqueue(request_id=request_id, step_index=step_index, attempt=attempt)
        queued += 1
    return queued


def _stale_notifications_resend(*, window: chain.RepairWindow) -> int:
    """Queue one more try for messages claimed but never settled (a worker killed between claim and send).

    A claim older than the grace is not in flight any more: sending takes seconds at most. The retry
    claims the row again with a conditional update (`escalation_notification_resend`), so however many
    sweeps queue it, it is sent again at most once; a retry that dies too stays "resending", in sight.
    """
    stale = list(
        EscalationNotification.objects.filter(
            state=NotificationState.SENDING,
            created_at__lte=window.recorded_before,
            created_at__gte=window.recorded_after,
            request__status=RequestStatus.OPEN,
        ).values_list("id", flat=True)[:SWEEP_BATCH]
    )
    for notification_id in stale:
        notification_resend_enqueue(notification_id=notification_id)
    return len(stale)


def _failed_notifications_retry(*, now: datetime) -> int:
    """Queue one more try for messages whose send failed and whose backoff has passed.

    `escalation_notification_resend` claims the row with a conditional update, so a message queued
    by two sweeps is still tried once; after `chain.NOTIFY_MAX_TRIES` it stays failed, in sight.
    """
    due = list(
        EscalationNotification.objects.filter(
            state=NotificationState.FAILED, retry_at__lte=now, request__status=RequestStatus.OPEN
        ).values_list("id", flat=True)[:SWEEP_BATCH]
    )
    for notification_id in due:
        notification_resend_enqueue(notification_id=notification_id)
    return len(due)


# --- guarded transitions ----------------------------------------------------------------------


def _ids(queryset: QuerySet[EscalationRequest]) -> list[int]:
    return list(queryset.values_list("id", flat=True)[:SWEEP_BATCH])


def _lock_skip(queryset: QuerySet[EscalationRequest]) -> EscalationRequest | None:
    return queryset.select_for_update(no_key=True, skip_locked=True, of=("self",)).select_related("department").first()


def _climb_apply(*, request: EscalationRequest, now: datetime) -> chain.Position | None:
    """Move the locked request one rung if its wait is still the one read; the position reached, or None.

    On the last rung the guard only clears the next action, so the sweep stops looking at it.
    """
    origin = chain.Position(step=request.current_step, attempt=request.current_attempt)
    guard = EscalationRequest.objects.filter(
        pk=request.pk, status=RequestStatus.OPEN, current_step=origin.step, current_attempt=origin.attempt
    )
    decision = chain.climb(chain.Chain.from_snapshot(request.policy_snapshot), origin, now=now)
    if decision is None:
        guard.update(next_action_at=None)
        return None
    moved = guard.update(
        current_step=decision.position.step,
        current_attempt=decision.position.attempt,
        next_action_at=decision.timers.next_action_at,
        reminder_at=decision.timers.reminder_at,
    )
    return decision.position if moved else None


def _request_escalate(*, request_id: int, now: datetime) -> int:
    """Climb one due request one rung and tell the new rung's people; 1 if this sweeper moved it."""
    with transaction.atomic():
        request = _lock_skip(
            EscalationRequest.objects.filter(pk=request_id, status=RequestStatus.OPEN, next_action_at__lte=now)
        )
        if request is None:
            return 0
        from_step, from_attempt = request.current_step, request.current_attempt
        position = _climb_apply(request=request, now=now)
        if position is None:
            return 0
        request.current_step, request.current_attempt = position.step, position.attempt
        EscalationEvent.objects.create(
            request=request,
            kind=EventKind.ESCALATED,
            step_index=position.step,
            attempt=position.attempt,
            created_at=now,
            data={"from_step": from_step, "from_attempt": from_attempt},
        )
        audit_record(
            actor=None,
            verb="escalation.escalate",
            target=request,
            data={"step": position.step, "attempt": position.attempt},
        )
        recipient_ids = step_record(request=request, now=now)
        escalation_publish(
            "escalation.escalated",
            request,
            mention_ids=request_mention_ids(request=request),
            user_ids=recipient_ids,
            attempt=position.attempt,
        )
        step_send(request=request)
    return 1


def _request_promise_missed(*, request_id: int, now: datetime) -> int:
    """Re-open an acknowledged request whose promised time passed: the next rung (or the same one
    again) is told, once. 1 if this sweeper did it.

    Locked with SKIP LOCKED, then moved by an update guarded on the status, the position and the
    promised time read: a second sweeper, or one that read before a snooze, moves nothing.
    """
    with transaction.atomic():
        request = _lock_skip(
            EscalationRequest.objects.filter(pk=request_id, status=RequestStatus.ACKNOWLEDGED, promised_at__lte=now)
        )
        if request is None:
            return 0
        origin = chain.Position(step=request.current_step, attempt=request.current_attempt)
        decision = chain.promise_missed(chain.Chain.from_snapshot(request.policy_snapshot), origin, now=now)
        promised_at = request.promised_at
        moved = EscalationRequest.objects.filter(
            pk=request.pk,
            status=RequestStatus.ACKNOWLEDGED,
            promised_at=promised_at,
            current_step=origin.step,
            current_attempt=origin.attempt,
        ).update(
            status=RequestStatus.OPEN,
            promised_at=None,
            current_step=decision.position.step,
            current_attempt=decision.position.attempt,
            next_action_at=decision.timers.next_action_at,
            reminder_at=decision.timers.reminder_at,
        )
        if not moved:
            return 0
        request.status, request.promised_at = RequestStatus.OPEN, None
        request.current_step, request.current_attempt = decision.position.step, decision.position.attempt
        _promise_missed_record(request=request, origin=origin, promised_at=promised_at, now=now)
    return 1


def _promise_missed_record(
    *, request: EscalationRequest, origin: chain.Position, promised_at: datetime | None, now: datetime
) -> None:
    """The timeline, the audit trail, the live event and the new rung's messages of a missed promise."""
    data = {
        "promised_at": promised_at.isoformat() if promised_at else None,
        "from_step": origin.step,
        "from_attempt": origin.attempt,
    }
    EscalationEvent.objects.create(
        request=request,
        kind=EventKind.PROMISE_MISSED,
        step_index=request.current_step,
        attempt=request.current_attempt,
        created_at=now,
        data=data,
    )
    audit_record(actor=None, verb="escalation.promise_missed", target=request, data=data)
    recipient_ids = step_record(request=request, now=now)
    escalation_publish(
        "escalation.escalated",
        request,
        mention_ids=request_mention_ids(request=request),
        user_ids=[*recipient_ids, *([request.raised_by_id] if request.raised_by_id else [])],
        attempt=request.current_attempt,
        promise_missed=True,
    )
    step_send(request=request)


def _request_remind(*, request_id: int, now: datetime) -> int:
    """Tell the current step's people, inside the console only, that their time is nearly up."""
    with transaction.atomic():
        request = _lock_skip(
            EscalationRequest.objects.filter(pk=request_id, status=RequestStatus.OPEN, reminder_at__lte=now)
        )
        if request is None:
            return 0
        if not EscalationRequest.objects.filter(pk=request.pk, reminder_at=request.reminder_at).update(
            reminder_at=None
        ):
            return 0
        notified = (
            EscalationEvent.objects.filter(
                request=request,
                kind=EventKind.NOTIFIED,
                step_index=request.current_step,
                attempt=request.current_attempt,
            )
            .order_by("-id")
            .first()
        )
        recipient_ids = notified.data.get("recipient_ids", []) if notified else []
        EscalationEvent.objects.create(
            request=request,
            kind=EventKind.REMINDED,
            step_index=request.current_step,
            attempt=request.current_attempt,
            created_at=now,
            data={"recipient_ids": recipient_ids},
        )
        escalation_publish(
            "escalation.reminder", request, mention_ids=request_mention_ids(request=request), user_ids=recipient_ids
        )
    return 1


def _request_mark_overdue(*, request_id: int, now: datetime) -> int:
    """Mark a request past its deadline overdue, once: the team and the brand's other tools hear of it."""
    with transaction.atomic():
        request = _lock_skip(
            EscalationRequest.objects.filter(
                pk=request_id, status__in=PENDING_STATUSES, due_at__lte=now, overdue_at__isnull=True
            )
        )
        if request is None:
            return 0
        if not EscalationRequest.objects.filter(pk=request.pk, overdue_at__isnull=True).update(overdue_at=now):
            return 0
        request.overdue_at = now
        EscalationEvent.objects.create(
            request=request, kind=EventKind.OVERDUE, step_index=request.current_step, created_at=now
        )
        audit_record(actor=None, verb="escalation.overdue", target=request, data={"due_at": request.due_at.isoformat()})
        escalation_publish(
            "escalation.overdue",
            request,
            mention_ids=request_mention_ids(request=request),
            user_ids=[request.raised_by_id] if request.raised_by_id else [],
            include_team=True,
        )
        _webhook_overdue_emit(request)
    return 1


def _webhook_overdue_emit(request: EscalationRequest) -> None:
    """Tell the brand's other tools (outgoing webhooks) once, with a stable event id."""
    crisis_level = request.crisis.level if request.crisis is not None else 0
    outgoing_event_emit(
        event_type="escalation.overdue",
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"crisisdesk:escalation:{request.pk}:overdue"),
        payload={
            "escalation": {
                "id": request.pk,
                "subject": header_safe(request.question),
                "department": request.department.name,
                "due_at": request.due_at.isoformat(),
                "level": crisis_level,
                "url": settings.PUBLIC_BASE_URL + reverse("escalation:detail", args=[request.pk]),
            }
        },
    )
