"""Acknowledging a request with a promise: "we are on it, you will have an answer by …".

An acknowledgement stops the climb only until the promised time: it must name one (in the future,
within `chain.PROMISE_MAX_AHEAD`), may carry a holding line the community manager can publish
meanwhile, and can be moved later (a snooze, audited and on the timeline). If the time passes
without an answer the sweep re-escalates once (`sweep`); only an answer or a close ends the chain.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from escalation.events import escalation_publish
from escalation.models import EscalationEvent, EscalationRequest, EventKind, RequestStatus
from escalation.selectors import request_mention_ids, user_may_answer
from escalation.services import chain
from escalation.services.requests import EscalationError, EscalationPermissionError, for_update, raiser_ids

MAX_HOLDING_LINE_LENGTH = 1000


def promise_clean(*, promised_at: datetime | None, holding_line: str, now: datetime) -> tuple[datetime, str]:
    """The promised time and holding line as stored; raises EscalationError saying what is wrong."""
    if promised_at is None:
        raise EscalationError(_("Say by when the department will answer (the promised time)."))
    if timezone.is_naive(promised_at):
        promised_at = timezone.make_aware(promised_at)
    problem = chain.promise_window_ok(promised_at=promised_at, now=now)
    if problem == "past":
        raise EscalationError(_("The promised time must be in the future."))
    if problem == "far":
        raise EscalationError(
            _("The promised time must be within %(days)d days.") % {"days": chain.PROMISE_MAX_AHEAD.days}
        )
    holding_line = (holding_line or "").strip()
    if len(holding_line) > MAX_HOLDING_LINE_LENGTH:
        raise EscalationError(
            _("The holding line is too long (at most %(limit)d characters).") % {"limit": MAX_HOLDING_LINE_LENGTH}
        )
    return promised_at, holding_line


def _snooze(
    *, request: EscalationRequest, actor: User, promised_at: datetime, holding_line: str, now: datetime
) -> None:
    """Move the promised time of an acknowledged request: audited and on the timeline."""
    previous = request.promised_at
    request.promised_at, request.holding_line = promised_at, holding_line
    request.save(update_fields=["promised_at", "holding_line"])
    data = {
        "from": previous.isoformat() if previous else None,
        "to": promised_at.isoformat(),
        "holding_line": holding_line,
    }
    EscalationEvent.objects.create(
        request=request, kind=EventKind.SNOOZED, step_index=request.current_step, actor=actor, created_at=now, data=data
    )
    audit_record(actor=actor, verb="escalation.snooze", target=request, data=data)


def _acknowledge(
    *, request: EscalationRequest, actor: User, promised_at: datetime, holding_line: str, now: datetime
) -> None:
    """Stop the climb of an open request until `promised_at`."""
    request.status = RequestStatus.ACKNOWLEDGED
    request.acknowledged_at, request.acknowledged_by = now, actor
    request.promised_at, request.holding_line = promised_at, holding_line
    request.next_action_at = request.reminder_at = None
    request.save(
        update_fields=[
            "status",
            "acknowledged_at",
            "acknowledged_by",
            "promised_at",
            "holding_line",
            "next_action_at",
            "reminder_at",
        ]
    )
    data = {"promised_at": promised_at.isoformat(), "holding_line": holding_line}
    EscalationEvent.objects.create(
        request=request,
        kind=EventKind.ACKNOWLEDGED,
        step_index=request.current_step,
        actor=actor,
        created_at=now,
        data=data,
    )
    audit_record(
        actor=actor, verb="escalation.acknowledge", target=request, data={"step": request.current_step, **data}
    )


def escalation_request_acknowledge(
    *,
    request_id: int,
    actor: User,
    promised_at: datetime | None,
    holding_line: str = "",
    now: datetime | None = None,
) -> EscalationRequest:
    """The department has seen it and promises an answer by `promised_at`: the climb pauses until then.

    Acknowledging an acknowledged request again with another time is a snooze (audited, on the
    timeline); the same time and line again changes nothing. Raises EscalationError, writing nothing,
    for a missing, past or too distant time, or a request already answered or closed.
    """
    now = now or timezone.now()
    promised_at, holding_line = promise_clean(promised_at=promised_at, holding_line=holding_line, now=now)
    with transaction.atomic():
        request = for_update(request_id)
        if not user_may_answer(user=actor, request=request):
            raise EscalationPermissionError(_("Only the department may acknowledge this request."))
        if request.status == RequestStatus.ACKNOWLEDGED:
            if (request.promised_at, request.holding_line) == (promised_at, holding_line):
                return request
            _snooze(request=request, actor=actor, promised_at=promised_at, holding_line=holding_line, now=now)
        elif request.status == RequestStatus.OPEN:
            _acknowledge(request=request, actor=actor, promised_at=promised_at, holding_line=holding_line, now=now)
        else:
            raise EscalationError(_("This request is already %(status)s.") % {"status": request.get_status_display()})
        escalation_publish(
            "escalation.acknowledged",
            request,
            mention_ids=request_mention_ids(request=request),
            user_ids=raiser_ids(request),
            include_team=True,
            promised_at=promised_at.isoformat(),
        )
    return request
