"""Writes for escalation: raising a request, acknowledging and answering it, and the chain's clock.

Every state change locks the request row, writes an `EscalationEvent` and an audit record, and
pushes its live event after commit. The chain climbs only through `escalations_sweep`, whose
transitions are guarded (`UPDATE … WHERE current_step = N AND current_attempt = A`) so two sweepers
running at once move a request exactly once; notifications are claimed by a unique row before
they are sent, so a retried or restarted worker never sends the same one twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record, audit_record_many
from crisisdesk.models import User
from crisisdesk.text import header_safe, user_display_name
from escalation import notifications
from escalation.events import escalation_publish
from escalation.models import (
    DEFAULT_LEVEL_FACTORS,
    DEFAULT_REMINDER_FRACTION,
    PENDING_STATUSES,
    Answer,
    Department,
    EscalationEvent,
    EscalationNotification,
    EscalationPolicy,
    EscalationRequest,
    EventKind,
    NotificationMedium,
    NotificationState,
    RequestStatus,
    StepKind,
)
from escalation.selectors import policy_for_department, step_recipients, user_may_answer, user_may_close
from inbox.models import Mention, MentionStatus

logger = logging.getLogger(__name__)

MAX_QUESTION_LENGTH = 4000
MAX_ANSWER_LENGTH = 8000
SWEEP_BATCH = 200
# A step's messages are queued after commit; if the worker dies before the task runs, the sweeper
# queues them again after ESCALATION_NOTIFY_GRACE_SECONDS (sending is idempotent per recipient and
# medium), for steps recorded within this window.
NOTIFY_REPAIR_WINDOW = timedelta(hours=24)
# A message whose send failed is tried again with backoff, this many tries in all; then it stays failed.
NOTIFY_MAX_TRIES = 5
NOTIFY_FIRST_RETRY_SECONDS = 30
NOTIFY_MAX_RETRY_SECONDS = 1800
CONTEXT_THREAD_LIMIT = 20
CONTEXT_HISTORY_LIMIT = 5

# The chain when no policy exists at all: owner → heads → area directors → director general.
BUILTIN_STEPS: tuple[dict[str, Any], ...] = (
    {"order": 0, "kind": StepKind.NOTIFY_DEPARTMENT_OWNER, "target_user_id": None, "wait_seconds": 900},
    {"order": 1, "kind": StepKind.NOTIFY_HEADS, "target_user_id": None, "wait_seconds": 900},
    {"order": 2, "kind": StepKind.NOTIFY_ROLE_DIRECTORS, "target_user_id": None, "wait_seconds": 1800},
    {"order": 3, "kind": StepKind.NOTIFY_DIRECTOR_GENERAL, "target_user_id": None, "wait_seconds": 1800},
)


class EscalationError(Exception):
    """An escalation action that cannot be done; the message says why and is safe to show."""


class EscalationPermissionError(EscalationError):
    """The user may not act on this request."""


@dataclass
class SweepReport:
    escalated: int = 0
    reminded: int = 0
    overdue: int = 0
    renotified: int = 0
    resent: int = 0


# --- policy snapshot and timers -------------------------------------------------------------


def policy_snapshot(*, policy: EscalationPolicy | None, crisis_level: int) -> dict[str, Any]:
    """A JSON copy of the policy as it is now, with the timing factor of the crisis level applied."""
    if policy is None:
        steps = [dict(step) for step in BUILTIN_STEPS]
        factors, fraction, max_repeats, answer_within = (
            DEFAULT_LEVEL_FACTORS,
            DEFAULT_REMINDER_FRACTION,
            3,
            3600,
        )
        policy_id, name = None, "built-in"
    else:
        steps = [
            {
                "order": step.order,
                "kind": step.kind,
                "target_user_id": step.target_user_id,
                "wait_seconds": step.wait_seconds,
            }
            for step in sorted(policy.steps.all(), key=lambda step: step.order)
        ]
        factors, fraction = policy.level_factors or DEFAULT_LEVEL_FACTORS, policy.reminder_fraction
        max_repeats, answer_within = policy.max_repeats, policy.answer_within_seconds
        policy_id, name = policy.pk, policy.name
    if not steps:
        steps = [dict(step) for step in BUILTIN_STEPS]
    factor = float(factors.get(str(crisis_level), 1.0))
    return {
        "policy_id": policy_id,
        "name": name,
        "steps": [{**step, "kind": str(step["kind"])} for step in steps],
        "crisis_level": crisis_level,
        "factor": factor,
        "reminder_fraction": fraction,
        "max_repeats": max(1, max_repeats),
        "answer_within_seconds": answer_within,
    }


def _step_wait(snapshot: dict[str, Any], step_index: int) -> timedelta:
    return timedelta(seconds=max(0.0, snapshot["steps"][step_index]["wait_seconds"] * snapshot["factor"]))


def _next_position(snapshot: dict[str, Any], step_index: int, attempt: int) -> tuple[int, int] | None:
    """Where the chain goes after (step, attempt): the next step, another repeat, or nowhere."""
    steps = snapshot["steps"]
    if step_index + 1 < len(steps):
        return step_index + 1, 0
    if steps[step_index]["kind"] == StepKind.REPEAT_LAST and attempt + 1 < snapshot["max_repeats"]:
        return step_index, attempt + 1
    return None


def _timers(
    snapshot: dict[str, Any], step_index: int, attempt: int, start: datetime
) -> tuple[datetime | None, ...]:
    """(next_action_at, reminder_at) for a step entered at `start`; the last step has no next action."""
    wait = _step_wait(snapshot, step_index)
    reminder_at = start + wait * snapshot["reminder_fraction"] if wait else None
    if _next_position(snapshot, step_index, attempt) is None:
        return None, reminder_at
    return start + wait, reminder_at


def _resolved_step(snapshot: dict[str, Any], step_index: int) -> dict[str, Any]:
    """A `repeat_last` step reaches whoever the nearest earlier real step reached."""
    steps = snapshot["steps"]
    index = step_index
    while index > 0 and steps[index]["kind"] == StepKind.REPEAT_LAST:
        index -= 1
    step = steps[index]
    if step["kind"] == StepKind.REPEAT_LAST:
        return {**step, "kind": StepKind.NOTIFY_HEADS}
    return step


# --- raising a request ------------------------------------------------------------------------


def _current_crisis(crisis_id: int | None):
    from playbooks.models import OPEN_CRISIS_STATUSES, Crisis

    if crisis_id is not None:
        crisis = Crisis.objects.filter(pk=crisis_id).first()
        if crisis is None:
            raise EscalationError(_("That crisis does not exist."))
        return crisis
    return Crisis.objects.filter(status__in=OPEN_CRISIS_STATUSES).order_by("-level", "-detected_at").first()


def _author_context(author) -> dict[str, Any]:
    history = (
        Mention.objects.filter(author=author)
        .order_by("-received_at", "-id")
        .values("id", "text", "category", "sentiment", "status", "received_at")[:CONTEXT_HISTORY_LIMIT]
    )
    return {
        "id": author.pk,
        "handle": author.handle,
        "display_name": author.display_name,
        "platform": author.platform,
        "followers": author.followers,
        "verified": author.verified,
        "mention_count": author.mention_count,
        "complaint_count": author.complaint_count,
        "hidden_as_troll_count": author.hidden_as_troll_count,
        "recent": [{**row, "received_at": row["received_at"].isoformat()} for row in history],
    }


def escalation_context(*, mentions: Sequence[Mention], crisis) -> dict[str, Any]:
    """What the department needs to answer without opening the console: thread, author, triage, crisis."""
    items = []
    for mention in mentions:
        thread = (
            Mention.objects.filter(channel_id=mention.channel_id, conversation_id=mention.conversation_id)
            .exclude(conversation_id="")
            .select_related("author")
            .order_by("posted_at", "id")[:CONTEXT_THREAD_LIMIT]
        )
        items.append(
            {
                "id": mention.pk,
                "channel": mention.channel.name,
                "channel_kind": mention.channel.kind,
                "url": mention.url,
                "text": mention.text,
                "posted_at": mention.posted_at.isoformat(),
                "sentiment": mention.sentiment,
                "category": mention.category,
                "priority": mention.priority,
                "author": _author_context(mention.author),
                "thread": [
                    {
                        "id": item.pk,
                        "author": item.author.handle,
                        "text": item.text,
                        "posted_at": item.posted_at.isoformat(),
                    }
                    for item in thread
                ],
            }
        )
    crisis_data = None
    if crisis is not None:
        crisis_data = {
            "id": crisis.pk,
            "title": crisis.title,
            "level": crisis.level,
            "status": crisis.status,
            "type": crisis.crisis_type,
        }
    return {"mentions": items, "crisis": crisis_data}


def escalation_request_create(
    *,
    raised_by: User | None,
    department: Department,
    question: str,
    mention_ids: Sequence[int] = (),
    crisis_id: int | None = None,
    due_at: datetime | None = None,
    now: datetime | None = None,
    policy: EscalationPolicy | None = None,
) -> EscalationRequest:
    """Raise a question to a department and notify the chain's first step.

    Snapshots the policy (scaled by the crisis level), attaches the context, marks the mentions
    "escalated", and after commit emits `escalation.created` and enqueues the first notifications.
    Raises EscalationError, writing nothing, on an empty question, unknown mentions or a past deadline.
    """
    now = now or timezone.now()
    question = (question or "").strip()
    if not question:
        raise EscalationError(_("Write the question for the department."))
    if len(question) > MAX_QUESTION_LENGTH:
        raise EscalationError(
            _("The question is too long (at most %(limit)d characters).") % {"limit": MAX_QUESTION_LENGTH}
        )
    if due_at is not None and due_at <= now:
        raise EscalationError(_("The deadline must be in the future."))
    unique_ids = sorted({int(mention_id) for mention_id in mention_ids})
    with transaction.atomic():
        mentions = list(
            Mention.objects.select_for_update(of=("self",))
            .select_related("channel", "author")
            .filter(pk__in=unique_ids)
            .order_by("pk")
        )
        if len(mentions) != len(unique_ids):
            raise EscalationError(_("Some of those mentions do not exist."))
        crisis = _current_crisis(crisis_id)
        snapshot = policy_snapshot(
            policy=policy if policy is not None else policy_for_department(department=department),
            crisis_level=crisis.level if crisis is not None else 0,
        )
        if due_at is None:
            due_at = now + timedelta(seconds=snapshot["answer_within_seconds"] * snapshot["factor"])
        next_action_at, reminder_at = _timers(snapshot, 0, 0, now)
        request = EscalationRequest.objects.create(
            raised_by=raised_by,
            department=department,
            question=question,
            context=escalation_context(mentions=mentions, crisis=crisis),
            crisis=crisis if crisis_id is not None else None,
            policy_id=snapshot["policy_id"],
            policy_snapshot=snapshot,
            due_at=due_at,
            next_action_at=next_action_at,
            reminder_at=reminder_at,
            created_at=now,
        )
        if mentions:
            request.mentions.set(mentions)
            Mention.objects.filter(pk__in=unique_ids).update(status=MentionStatus.ESCALATED)
            audit_record_many(
                actor=raised_by,
                verb="mention.escalate",
                targets=mentions,
                data={"escalation": request.pk, "department": department.slug},
            )
        EscalationEvent.objects.create(
            request=request,
            kind=EventKind.CREATED,
            step_index=0,
            actor=raised_by,
            created_at=now,
            data={"policy": snapshot["name"], "factor": snapshot["factor"], "due_at": due_at.isoformat()},
        )
        audit_record(
            actor=raised_by,
            verb="escalation.create",
            target=request,
            data={"department": department.slug, "mentions": unique_ids, "crisis": crisis_id},
        )
        recipient_ids = _step_record(request=request, now=now)
        # A new request concerns the department, the directors and whoever raised it; the rest of the
        # community managers see it in their lists, and hear about it once it is answered.
        raiser_ids = [raised_by.pk] if raised_by is not None else []
        escalation_publish(
            "escalation.created", request, mention_ids=unique_ids, user_ids=[*recipient_ids, *raiser_ids]
        )
        _step_send(request=request)
    return request


def _step_record(*, request: EscalationRequest, now: datetime) -> list[int]:
    """Record who the current step reaches; returns their ids for the live event."""
    step = _resolved_step(request.policy_snapshot, request.current_step)
    people = step_recipients(
        kind=step["kind"], department_id=request.department_id, target_user_id=step.get("target_user_id")
    )
    EscalationEvent.objects.create(
        request=request,
        kind=EventKind.NOTIFIED,
        step_index=request.current_step,
        attempt=request.current_attempt,
        created_at=now,
        data={
            "kind": step["kind"],
            "recipient_ids": [person.pk for person in people],
            "recipients": [user_display_name(person) for person in people],
        },
    )
    return [person.pk for person in people]


def _step_send(*, request: EscalationRequest) -> None:
    """Enqueue the current step's messages after commit.

    Called after `escalation_publish`: commit hooks run in the order they were added, and handing a
    task to the broker took a quarter of the request's time (py-spy, bench/push_latency.py), so the
    live event to the people waiting goes first.
    """
    from escalation.tasks import escalation_step_notify

    request_id, step_index, attempt = request.pk, request.current_step, request.current_attempt
    transaction.on_commit(lambda: escalation_step_notify.delay(request_id, step_index, attempt))


def _mention_ids(request: EscalationRequest) -> list[int]:
    return sorted(request.mentions.values_list("id", flat=True))


def _for_update(request_id: int) -> EscalationRequest:
    request = (
        EscalationRequest.objects.select_for_update(of=("self",))
        .select_related("department")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise EscalationError(_("That escalation request does not exist."))
    return request


# --- what people do ---------------------------------------------------------------------------


def escalation_request_acknowledge(
    *, request_id: int, actor: User, now: datetime | None = None
) -> EscalationRequest:
    """Someone in the department has seen it: the chain stops climbing at once. Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        request = _for_update(request_id)
        if not user_may_answer(user=actor, request=request):
            raise EscalationPermissionError(_("Only the department may acknowledge this request."))
        if request.status == RequestStatus.ACKNOWLEDGED:
            return request
        if request.status != RequestStatus.OPEN:
            raise EscalationError(
                _("This request is already %(status)s.") % {"status": request.get_status_display()}
            )
        request.status = RequestStatus.ACKNOWLEDGED
        request.acknowledged_at, request.acknowledged_by = now, actor
        request.next_action_at = request.reminder_at = None
        request.save(
            update_fields=["status", "acknowledged_at", "acknowledged_by", "next_action_at", "reminder_at"]
        )
        EscalationEvent.objects.create(
            request=request,
            kind=EventKind.ACKNOWLEDGED,
            step_index=request.current_step,
            actor=actor,
            created_at=now,
        )
        audit_record(
            actor=actor, verb="escalation.acknowledge", target=request, data={"step": request.current_step}
        )
        escalation_publish(
            "escalation.acknowledged",
            request,
            mention_ids=_mention_ids(request),
            user_ids=[request.raised_by_id] if request.raised_by_id else [],
            include_team=True,
        )
    return request


def escalation_answer_create(
    *,
    request_id: int,
    author: User,
    text: str,
    is_approved_wording: bool = False,
    now: datetime | None = None,
) -> Answer:
    """Answer the question; the chain stops and whoever raised it sees the answer live.

    A request may receive several answers (a correction, a better wording); a closed one none.
    """
    now = now or timezone.now()
    text = (text or "").strip()
    if not text:
        raise EscalationError(_("Write the answer."))
    if len(text) > MAX_ANSWER_LENGTH:
        raise EscalationError(
            _("The answer is too long (at most %(limit)d characters).") % {"limit": MAX_ANSWER_LENGTH}
        )
    with transaction.atomic():
        request = _for_update(request_id)
        if not user_may_answer(user=author, request=request):
            raise EscalationPermissionError(_("Only the department may answer this request."))
        if request.status == RequestStatus.CLOSED:
            raise EscalationError(_("This request is closed."))
        answer = Answer.objects.create(
            request=request, author=author, text=text, is_approved_wording=is_approved_wording, created_at=now
        )
        request.status = RequestStatus.ANSWERED
        request.answered_at = request.answered_at or now
        request.next_action_at = request.reminder_at = None
        request.save(update_fields=["status", "answered_at", "next_action_at", "reminder_at"])
        EscalationEvent.objects.create(
            request=request,
            kind=EventKind.ANSWERED,
            step_index=request.current_step,
            actor=author,
            created_at=now,
            data={"answer_id": answer.pk, "approved_wording": is_approved_wording},
        )
        audit_record(
            actor=author,
            verb="escalation.answer",
            target=request,
            data={"answer": answer.pk, "approved_wording": is_approved_wording},
        )
        escalation_publish(
            "escalation.answered",
            request,
            mention_ids=_mention_ids(request),
            user_ids=[request.raised_by_id] if request.raised_by_id else [],
            include_team=True,
            answer_id=answer.pk,
        )
    return answer


def escalation_request_close(
    *, request_id: int, actor: User, now: datetime | None = None
) -> EscalationRequest:
    """Close a request (answered, or no longer needed). Idempotent; stops the chain."""
    now = now or timezone.now()
    with transaction.atomic():
        request = _for_update(request_id)
        if not user_may_close(user=actor, request=request):
            raise EscalationPermissionError(_("You may not close this request."))
        if request.status == RequestStatus.CLOSED:
            return request
        previous = request.status
        request.status = RequestStatus.CLOSED
        request.closed_at = now
        request.next_action_at = request.reminder_at = None
        request.save(update_fields=["status", "closed_at", "next_action_at", "reminder_at"])
        EscalationEvent.objects.create(
            request=request, kind=EventKind.CLOSED, actor=actor, created_at=now, data={"from": previous}
        )
        audit_record(actor=actor, verb="escalation.close", target=request, data={"from": previous})
        escalation_publish("escalation.closed", request, mention_ids=_mention_ids(request), include_team=True)
    return request


# --- the clock --------------------------------------------------------------------------------


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
    for request_id in _ids(pending.filter(reminder_at__lte=now).order_by("reminder_at")):
        report.reminded += _request_remind(request_id=request_id, now=now)
    overdue = EscalationRequest.objects.filter(
        status__in=PENDING_STATUSES, due_at__lte=now, overdue_at__isnull=True
    )
    for request_id in _ids(overdue.order_by("due_at")):
        report.overdue += _request_mark_overdue(request_id=request_id, now=now)
    report.renotified = _lost_notifications_requeue(now=now)
    report.resent = _stale_notifications_resend(now=now) + _failed_notifications_retry(now=now)
    return report


def _lost_notifications_requeue(*, now: datetime) -> int:
    """Queue again the messages of steps whose notify task never ran (a worker killed before it)."""
    from escalation.tasks import escalation_step_notify

    lost = list(
        EscalationEvent.objects.filter(
            kind=EventKind.NOTIFIED,
            request__status=RequestStatus.OPEN,
            created_at__lte=now - timedelta(seconds=settings.ESCALATION_NOTIFY_GRACE_SECONDS),
            created_at__gte=now - NOTIFY_REPAIR_WINDOW,
            data__dispatched__isnull=True,
        ).values_list("request_id", "step_index", "attempt")[:SWEEP_BATCH]
    )
    for request_id, step_index, attempt in lost:
        transaction.on_commit(
            lambda request_id=request_id, step_index=step_index, attempt=attempt: escalation_step_notify.delay(
                request_id, step_index, attempt
            )
        )
    return len(lost)


def _stale_notifications_resend(*, now: datetime) -> int:
    """Queue one more try for messages claimed but never settled (a worker killed between claim and send).

    A claim older than the grace is not in flight any more: sending takes seconds at most. The retry
    claims the row again with a conditional update (`escalation_notification_resend`), so however many
    sweeps queue it, it is sent again at most once; a retry that dies too stays "resending", in sight.
    """
    from escalation.tasks import escalation_notification_resend

    stale = list(
        EscalationNotification.objects.filter(
            state=NotificationState.SENDING,
            created_at__lte=now - timedelta(seconds=settings.ESCALATION_NOTIFY_GRACE_SECONDS),
            created_at__gte=now - NOTIFY_REPAIR_WINDOW,
            request__status=RequestStatus.OPEN,
        ).values_list("id", flat=True)[:SWEEP_BATCH]
    )
    for notification_id in stale:
        transaction.on_commit(lambda pk=notification_id: escalation_notification_resend.delay(pk))
    return len(stale)


def _failed_notifications_retry(*, now: datetime) -> int:
    """Queue one more try for messages whose send failed and whose backoff has passed.

    `escalation_notification_resend` claims the row with a conditional update, so a message queued
    by two sweeps is still tried once; after `NOTIFY_MAX_TRIES` it stays failed, in sight.
    """
    from escalation.tasks import escalation_notification_resend

    due = list(
        EscalationNotification.objects.filter(
            state=NotificationState.FAILED, retry_at__lte=now, request__status=RequestStatus.OPEN
        ).values_list("id", flat=True)[:SWEEP_BATCH]
    )
    for notification_id in due:
        transaction.on_commit(lambda pk=notification_id: escalation_notification_resend.delay(pk))
    return len(due)


def notification_retry_delay(tries: int) -> timedelta:
    """Wait after the given number of failed tries: 30 s × 4ⁿ⁻¹, at most 30 minutes."""
    return timedelta(seconds=min(NOTIFY_MAX_RETRY_SECONDS, NOTIFY_FIRST_RETRY_SECONDS * 4 ** max(0, tries - 1)))


def _ids(queryset: QuerySet[EscalationRequest]) -> list[int]:
    return list(queryset.values_list("id", flat=True)[:SWEEP_BATCH])


def _lock_skip(queryset: QuerySet[EscalationRequest]) -> EscalationRequest | None:
    return queryset.select_for_update(skip_locked=True, of=("self",)).select_related("department").first()


def _request_escalate(*, request_id: int, now: datetime) -> int:
    with transaction.atomic():
        request = _lock_skip(
            EscalationRequest.objects.filter(
                pk=request_id, status=RequestStatus.OPEN, next_action_at__lte=now
            )
        )
        if request is None:
            return 0
        snapshot = request.policy_snapshot
        from_step, from_attempt = request.current_step, request.current_attempt
        position = _next_position(snapshot, from_step, from_attempt)
        guard = EscalationRequest.objects.filter(
            pk=request.pk, status=RequestStatus.OPEN, current_step=from_step, current_attempt=from_attempt
        )
        if position is None:
            guard.update(next_action_at=None)
            return 0
        step_index, attempt = position
        next_action_at, reminder_at = _timers(snapshot, step_index, attempt, now)
        if not guard.update(
            current_step=step_index,
            current_attempt=attempt,
            next_action_at=next_action_at,
            reminder_at=reminder_at,
        ):
            return 0
        request.current_step, request.current_attempt = step_index, attempt
        EscalationEvent.objects.create(
            request=request,
            kind=EventKind.ESCALATED,
            step_index=step_index,
            attempt=attempt,
            created_at=now,
            data={"from_step": from_step, "from_attempt": from_attempt},
        )
        audit_record(
            actor=None,
            verb="escalation.escalate",
            target=request,
            data={"step": step_index, "attempt": attempt},
        )
        recipient_ids = _step_record(request=request, now=now)
        escalation_publish(
            "escalation.escalated",
            request,
            mention_ids=_mention_ids(request),
            user_ids=recipient_ids,
            attempt=attempt,
        )
        _step_send(request=request)
    return 1


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
            "escalation.reminder", request, mention_ids=_mention_ids(request), user_ids=recipient_ids
        )
    return 1


def _request_mark_overdue(*, request_id: int, now: datetime) -> int:
    with transaction.atomic():
        request = _lock_skip(
            EscalationRequest.objects.filter(
                pk=request_id, status__in=PENDING_STATUSES, due_at__lte=now, overdue_at__isnull=True
            )
        )
        if request is None:
            return 0
        if not EscalationRequest.objects.filter(pk=request.pk, overdue_at__isnull=True).update(
            overdue_at=now
        ):
            return 0
        request.overdue_at = now
        EscalationEvent.objects.create(
            request=request, kind=EventKind.OVERDUE, step_index=request.current_step, created_at=now
        )
        audit_record(
            actor=None, verb="escalation.overdue", target=request, data={"due_at": request.due_at.isoformat()}
        )
        escalation_publish(
            "escalation.overdue",
            request,
            mention_ids=_mention_ids(request),
            user_ids=[request.raised_by_id] if request.raised_by_id else [],
            include_team=True,
        )
        _webhook_overdue_emit(request)
    return 1


def _webhook_overdue_emit(request: EscalationRequest) -> None:
    """Tell the brand's other tools (outgoing webhooks) once, with a stable event id."""
    from django.urls import reverse

    from crisisdesk.webhooks import webhook_event_emit

    crisis_level = request.crisis.level if request.crisis_id else 0
    webhook_event_emit(
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


# --- sending ----------------------------------------------------------------------------------


def escalation_step_notify(*, request_id: int, step_index: int, attempt: int) -> int:
    """Send one step's email and chat messages; returns how many were sent now.

    Each message is claimed by inserting its `EscalationNotification` row (unique on request, step,
    attempt, recipient, medium) before it is sent: running this twice, or after a worker restart,
    sends nothing new. A request acknowledged or answered meanwhile sends nothing.
    """
    request = EscalationRequest.objects.select_related("department").filter(pk=request_id).first()
    if request is None or request.status != RequestStatus.OPEN:
        return 0
    notified = (
        EscalationEvent.objects.filter(
            request=request, kind=EventKind.NOTIFIED, step_index=step_index, attempt=attempt
        )
        .order_by("id")
        .first()
    )
    if notified is None:
        return 0
    department = request.department
    link = notifications.request_link(reverse("escalation:detail", args=[request.pk]))
    people = User.objects.filter(pk__in=notified.data.get("recipient_ids", []), is_active=True).order_by("id")
    messages: list[tuple[str, str, str, str]] = []
    for person in people:
        if person.email:
            messages.append((f"user:{person.pk}", NotificationMedium.EMAIL, person.email, person.language))
    if notified.data.get("kind") == StepKind.NOTIFY_WHOLE_DEPARTMENT and department.email:
        messages.append((f"department:{department.pk}", NotificationMedium.EMAIL, department.email, ""))
    if department.chat_webhook_url:
        messages.append(
            (f"department:{department.pk}", NotificationMedium.WEBHOOK, department.chat_webhook_url, "")
        )
    sent = 0
    for recipient, medium, address, language in messages:
        notification, created = EscalationNotification.objects.get_or_create(
            request=request, step_index=step_index, attempt=attempt, recipient=recipient, medium=medium
        )
        if created:
            sent += _notification_deliver(
                notification=notification, request=request, address=address, language=language, link=link
            )
    EscalationEvent.objects.filter(pk=notified.pk).update(data={**notified.data, "dispatched": True})
    return sent


def escalation_notification_resend(*, notification_id: int) -> int:
    """Send a stale claim's, or a failed send's, message once more; returns 1 if it went out now.

    Only the call that moves the row from "sending" (or from "failed" with a retry still planned;
    the sweeper queues it when due) to "resending" sends: a second call, a second sweeper or a
    redelivered task finds it moved and sends nothing.
    """
    due = Q(state=NotificationState.SENDING) | Q(state=NotificationState.FAILED, retry_at__isnull=False)
    claimed = (
        EscalationNotification.objects.filter(due, pk=notification_id, request__status=RequestStatus.OPEN)
        .update(state=NotificationState.RESENDING, retry_at=None)
    )
    if not claimed:
        return 0
    notification = EscalationNotification.objects.select_related("request__department").get(pk=notification_id)
    address, language = _notification_address(notification)
    if not address:
        EscalationNotification.objects.filter(pk=notification_id).update(
            state=NotificationState.FAILED, error="the recipient has no address any more"
        )
        return 0
    link = notifications.request_link(reverse("escalation:detail", args=[notification.request_id]))
    return _notification_deliver(
        notification=notification, request=notification.request, address=address, language=language, link=link
    )


def _notification_address(notification: EscalationNotification) -> tuple[str, str]:
    """Where a claimed message goes, read again from its recipient ("user:ID" or "department:ID")."""
    kind, _, key = notification.recipient.partition(":")
    department = notification.request.department
    if kind == "user" and notification.medium == NotificationMedium.EMAIL:
        person = User.objects.filter(pk=int(key), is_active=True).first()
        return (person.email, person.language) if person else ("", "")
    if kind == "department" and notification.medium == NotificationMedium.EMAIL:
        return department.email, ""
    if kind == "department" and notification.medium == NotificationMedium.WEBHOOK:
        return department.chat_webhook_url, ""
    return "", ""


def _notification_deliver(
    *, notification: EscalationNotification, request: EscalationRequest, address: str, language: str, link: str
) -> int:
    """Send one claimed message and settle its row; 1 if it went out."""
    with translation.override(language or settings.LANGUAGE_CODE):
        subject, body = _message(
            request=request, step_index=notification.step_index, attempt=notification.attempt, link=link
        )
    if notification.medium == NotificationMedium.EMAIL:
        error = notifications.email_send(to=address, subject=subject, body=body)
    else:
        error = notifications.webhook_post(url=address, text=f"{subject}\n{link}")
    tries = notification.tries + 1
    now = timezone.now()
    EscalationNotification.objects.filter(pk=notification.pk).update(
        state=NotificationState.FAILED if error else NotificationState.SENT,
        error=error,
        tries=tries,
        retry_at=now + notification_retry_delay(tries) if error and tries < NOTIFY_MAX_TRIES else None,
        sent_at=None if error else now,
    )
    return 0 if error else 1


def _message(*, request: EscalationRequest, step_index: int, attempt: int, link: str) -> tuple[str, str]:
    due = timezone.localtime(request.due_at).strftime("%d/%m %H:%M")
    prefix = _("Reminder") + " · " if attempt else ""
    subject = _("%(prefix)s[Crisis Desk] %(department)s, question #%(id)d (answer by %(due)s)") % {
        "prefix": prefix,
        "department": header_safe(request.department.name),
        "id": request.pk,
        "due": due,
    }
    subject = header_safe(subject, limit=255)
    body = "\n\n".join(
        [
            request.question,
            _("Step %(step)d of the escalation chain.") % {"step": step_index + 1},
            _("Acknowledge or answer here: %(link)s") % {"link": link},
        ]
    )
    return subject, body
