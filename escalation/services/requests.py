"""Raising a request, and what people then do with it: answer, close (acknowledging is `acknowledge`).

Every state change locks the request row, writes an `EscalationEvent` and an audit record, and
pushes its live event after commit. The first step's people are recorded in the same transaction
and their messages queued after commit (`delivery`); the chain climbs only through the sweep.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record, audit_record_many
from crisisdesk.models import User
from escalation.events import escalation_publish
from escalation.models import (
    DEFAULT_LEVEL_FACTORS,
    DEFAULT_REMINDER_FRACTION,
    Answer,
    Department,
    EscalationEvent,
    EscalationPolicy,
    EscalationRequest,
    EventKind,
    RequestStatus,
)
from escalation.selectors import (
    policy_for_department,
    request_mention_ids,
    user_may_answer,
    user_may_close,
)
from escalation.services import chain
from escalation.services.context import escalation_context
from escalation.services.delivery import step_record, step_send
from escalation.services.errors import EscalationError, EscalationPermissionError
from inbox import hooks
from inbox.drills import is_drill_brand, is_drill_mention
from inbox.models import Mention, MentionStatus

if TYPE_CHECKING:
    from playbooks.models import Crisis

MAX_QUESTION_LENGTH = 4000
MAX_ANSWER_LENGTH = 8000


# --- the policy snapshot ----------------------------------------------------------------------


def _policy_terms(policy: EscalationPolicy | None) -> chain.PolicyTerms:
    """A policy row (or the built-in chain, when there is none) as plain values for `chain`."""
    if policy is None:
        return chain.PolicyTerms(
            policy_id=None,
            name=chain.BUILTIN_NAME,
            steps=(),
            level_factors=DEFAULT_LEVEL_FACTORS,
            reminder_fraction=DEFAULT_REMINDER_FRACTION,
            max_repeats=chain.BUILTIN_MAX_REPEATS,
            answer_within_seconds=chain.BUILTIN_ANSWER_WITHIN_SECONDS,
        )
    return chain.PolicyTerms(
        policy_id=policy.pk,
        name=policy.name,
        steps=tuple(
            chain.Step(
                order=step.order,
                kind=step.kind,
                wait_seconds=step.wait_seconds,
                target_user_id=step.target_user_id,
            )
            for step in policy.steps.all()
        ),
        level_factors=policy.level_factors or DEFAULT_LEVEL_FACTORS,
        reminder_fraction=policy.reminder_fraction,
        max_repeats=policy.max_repeats,
        answer_within_seconds=policy.answer_within_seconds,
    )


def policy_snapshot(*, policy: EscalationPolicy | None, crisis_level: int) -> dict[str, Any]:
    """A JSON copy of the policy as it is now, with the timing factor of the crisis level applied."""
    return chain.chain_start(terms=_policy_terms(policy), crisis_level=crisis_level).snapshot()


# --- raising a request ------------------------------------------------------------------------


def _question_clean(question: str, *, due_at: datetime | None, now: datetime) -> str:
    """The question as stored; raises EscalationError for an empty or long one, or a past deadline."""
    question = (question or "").strip()
    if not question:
        raise EscalationError(_("Write the question for the department."))
    if len(question) > MAX_QUESTION_LENGTH:
        raise EscalationError(
            _("The question is too long (at most %(limit)d characters).") % {"limit": MAX_QUESTION_LENGTH}
        )
    if due_at is not None and due_at <= now:
        raise EscalationError(_("The deadline must be in the future."))
    return question


def _mentions_lock(mention_ids: list[int]) -> list[Mention]:
    """The mentions, locked in id order; raises EscalationError if one does not exist."""
    mentions = list(
        Mention.objects.select_for_update(no_key=True, of=("self",))
        .select_related("channel", "author")
        .filter(pk__in=mention_ids)
        .order_by("pk")
    )
    if len(mentions) != len(mention_ids):
        raise EscalationError(_("Some of those mentions do not exist."))
    return mentions


def _current_crisis(crisis_id: int | None, *, drill: bool = False) -> Crisis | None:
    """The crisis named, or else the most serious open one (its level scales the chain).

    playbooks sits above escalation (a declared crisis raises requests): its crises are read through the
    reader it registers in `inbox.hooks`, so that escalation never imports playbooks. A drill's request
    is never scaled by a real crisis (the reader's most serious open one is real)."""
    reader = hooks.crisis_reader()
    if crisis_id is not None:
        crisis = reader.crisis_get(crisis_id=crisis_id)
        if crisis is None:
            raise EscalationError(_("That crisis does not exist."))
        return crisis
    return None if drill else reader.crisis_most_serious_open()


def _raised_in_drill(*, mentions: list[Mention], crisis_id: int | None) -> bool:
    """A request about a drill's mentions, or in a drill's crisis, is a drill request."""
    if any(is_drill_mention(mention) for mention in mentions):
        return True
    crisis = hooks.crisis_reader().crisis_get(crisis_id=crisis_id) if crisis_id is not None else None
    return crisis is not None and is_drill_brand(crisis.brand)


def _mentions_escalate(*, request: EscalationRequest, mentions: list[Mention], raised_by: User | None) -> None:
    """Attach the mentions to the request and mark them "escalated", audited one by one."""
    if not mentions:
        return
    request.mentions.set(mentions)
    Mention.objects.filter(pk__in=[mention.pk for mention in mentions]).update(status=MentionStatus.ESCALATED)
    targets: list[models.Model] = [*mentions]
    audit_record_many(
        actor=raised_by,
        verb="mention.escalate",
        targets=targets,
        data={"escalation": request.pk, "department": request.department.slug},
    )


def _created_record(
    *, request: EscalationRequest, raised_by: User | None, mention_ids: list[int], crisis_id: int | None
) -> None:
    """The timeline's first entry and the audit record of a new request."""
    snapshot = request.policy_snapshot
    EscalationEvent.objects.create(
        request=request,
        kind=EventKind.CREATED,
        step_index=0,
        actor=raised_by,
        created_at=request.created_at,
        data={"policy": snapshot["name"], "factor": snapshot["factor"], "due_at": request.due_at.isoformat()},
    )
    audit_record(
        actor=raised_by,
        verb="escalation.create",
        target=request,
        data={"department": request.department.slug, "mentions": mention_ids, "crisis": crisis_id},
    )


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
    "escalated" (a request about a drill's mentions or crisis is marked `is_drill`), and after commit
    emits `escalation.created` and enqueues the first notifications.
    Raises EscalationError, writing nothing, on an empty question, unknown mentions or a past deadline.
    """
    now = now or timezone.now()
    question = _question_clean(question, due_at=due_at, now=now)
    unique_ids = sorted({int(mention_id) for mention_id in mention_ids})
    with transaction.atomic():
        mentions = _mentions_lock(unique_ids)
        drill = _raised_in_drill(mentions=mentions, crisis_id=crisis_id)
        crisis = _current_crisis(crisis_id, drill=drill)
        request_chain = chain.Chain.from_snapshot(
            policy_snapshot(
                policy=policy if policy is not None else policy_for_department(department=department),
                crisis_level=crisis.level if crisis is not None else 0,
            )
        )
        timers = chain.step_timers(request_chain, chain.Position(step=0), start=now)
        request = EscalationRequest.objects.create(
            raised_by=raised_by,
            department=department,
            question=question,
            context=escalation_context(mentions=mentions, crisis=crisis),
            crisis=crisis if crisis_id is not None else None,
            policy_id=request_chain.policy_id,
            policy_snapshot=request_chain.snapshot(),
            due_at=due_at or chain.answer_deadline(request_chain, now=now),
            next_action_at=timers.next_action_at,
            reminder_at=timers.reminder_at,
            created_at=now,
            is_drill=drill,
        )
        _mentions_escalate(request=request, mentions=mentions, raised_by=raised_by)
        _created_record(request=request, raised_by=raised_by, mention_ids=unique_ids, crisis_id=crisis_id)
        recipient_ids = step_record(request=request, now=now)
        # A new request concerns the department, the directors and whoever raised it; the rest of the
        # community managers see it in their lists, and hear about it once it is answered.
        raiser_ids = [raised_by.pk] if raised_by is not None else []
        escalation_publish(
            "escalation.created", request, mention_ids=unique_ids, user_ids=[*recipient_ids, *raiser_ids]
        )
        step_send(request=request)
    return request


# --- what people do ---------------------------------------------------------------------------


def for_update(request_id: int) -> EscalationRequest:
    """The request, locked for this transaction; raises EscalationError if it does not exist."""
    request = (
        EscalationRequest.objects.select_for_update(no_key=True, of=("self",))
        .select_related("department")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise EscalationError(_("That escalation request does not exist."))
    return request


def raiser_ids(request: EscalationRequest) -> list[int]:
    """Whoever raised the request, as the user ids of a live event."""
    return [request.raised_by_id] if request.raised_by_id else []


def _answer_clean(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise EscalationError(_("Write the answer."))
    if len(text) > MAX_ANSWER_LENGTH:
        raise EscalationError(
            _("The answer is too long (at most %(limit)d characters).") % {"limit": MAX_ANSWER_LENGTH}
        )
    return text


def escalation_answer_create(
    *,
    request_id: int,
    author: User,
    text: str,
    is_approved_wording: bool = False,
    now: datetime | None = None,
    via: str = "",
) -> Answer:
    """Answer the question; the chain stops and whoever raised it sees the answer live.

    A request may receive several answers (a correction, a better wording); a closed one none.
    `via` names a way other than the desk or the link ("email"), on the timeline and in the audit.
    """
    now = now or timezone.now()
    text = _answer_clean(text)
    with transaction.atomic():
        request = for_update(request_id)
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
            data={"answer_id": answer.pk, "approved_wording": is_approved_wording, **({"via": via} if via else {})},
        )
        audit_record(
            actor=author,
            verb="escalation.answer",
            target=request,
            data={"answer": answer.pk, "approved_wording": is_approved_wording, **({"via": via} if via else {})},
        )
        escalation_publish(
            "escalation.answered",
            request,
            mention_ids=request_mention_ids(request=request),
            user_ids=raiser_ids(request),
            include_team=True,
            answer_id=answer.pk,
        )
    return answer


def escalation_request_close(*, request_id: int, actor: User, now: datetime | None = None) -> EscalationRequest:
    """Close a request (answered, or no longer needed). Idempotent; stops the chain."""
    now = now or timezone.now()
    with transaction.atomic():
        request = for_update(request_id)
        if not user_may_close(user=actor, request=request):
            raise EscalationPermissionError(_("You may not close this request."))
        if request.status == RequestStatus.CLOSED:
            return request
        previous = _request_closed(request, actor=actor, now=now)
        audit_record(actor=actor, verb="escalation.close", target=request, data={"from": previous})
        escalation_publish(
            "escalation.closed", request, mention_ids=request_mention_ids(request=request), include_team=True
        )
    return request


def _request_closed(request: EscalationRequest, *, actor: User | None, now: datetime, **data: Any) -> str:
    """Close a locked request, stop its chain and write it on its timeline; the status it had."""
    previous = request.status
    request.status = RequestStatus.CLOSED
    request.closed_at = now
    request.next_action_at = request.reminder_at = None
    request.save(update_fields=["status", "closed_at", "next_action_at", "reminder_at"])
    EscalationEvent.objects.create(
        request=request, kind=EventKind.CLOSED, actor=actor, created_at=now, data={"from": previous, **data}
    )
    return previous


def drill_requests_close(*, request_ids: Sequence[int], now: datetime | None = None) -> int:
    """Close the pending drill requests of a drill that ended, so its chain pages nobody any more.

    Only requests marked `is_drill` are touched (a real request is never closed this way); each is
    locked, closed, written on its timeline and audited as the system's act. Idempotent; returns how many.
    """
    now = now or timezone.now()
    closed = 0
    with transaction.atomic():
        pending = (
            EscalationRequest.objects.select_for_update(no_key=True, of=("self",))
            .select_related("department")
            .filter(pk__in=list(request_ids), is_drill=True)
            .exclude(status=RequestStatus.CLOSED)
            .order_by("pk")
        )
        for request in pending:
            previous = _request_closed(request, actor=None, now=now, drill_ended=True)
            audit_record(actor=None, verb="escalation.close", target=request, data={"from": previous, "drill": True})
            escalation_publish(
                "escalation.closed", request, mention_ids=request_mention_ids(request=request), include_team=True
            )
            closed += 1
    return closed
