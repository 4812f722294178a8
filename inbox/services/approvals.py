"""Deciding on replies that wait for approval (approve, edit and approve, reject), their time limit, and the rule.

Four eyes: a reply's author never decides it. Each decision claims the reply with one conditional UPDATE
("pending_approval" → its next state), before the mention is locked — the order `reply_cancel` and
`reply_send` take too — so of two approvers deciding at once exactly one wins and the other is told who
did. An approved reply is queued at once (the approver's decision is its confirmation: no second undo
window) and is still signed by its author.

Nobody deciding in time is not consent: the beat marks the reply "approval_expired" and tells the author
and the approvers; it is never sent by itself, since during a crisis a reply nobody vouched for is the
riskier choice. When the crisis closes while a reply waits, the reply keeps waiting: the queue says the
crisis is over, an approver still decides, and the author may withdraw it and send it again unheld.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from crisisdesk.realtime import publish_on_commit
from inbox import events
from inbox.approval_models import RULE_ID, ApprovalDecision, ReplyApproval, ReplyApprovalRule
from inbox.approval_selectors import APPROVERS_CACHE_ENTRY
from inbox.approvals import approver_may_decide
from inbox.models import Mention, MentionStatus, Reply, ReplyState
from inbox.services.approval_gate import approval_groups
from inbox.services.common import (
    InboxError,
    MentionNotFound,
    _mention_for_update,
    _publish_changed,
    _publish_reply_changed,
)
from inbox.services.replies import MAX_BODY, _enqueue_send, mention_mark_answered, reply_refusal

EXPIRE_LIMIT = 200
ANSWERED_STATES = (ReplyState.QUEUED, ReplyState.SENDING, ReplyState.SENT)


class ApprovalConflict(InboxError):
    """The mention changed while the reply waited (answered by someone else, hidden, closed); approving is
    refused unless the approver confirms, having read `conflicts`."""

    def __init__(self, conflicts: list[str]):
        super().__init__(" ".join(conflicts))
        self.conflicts = conflicts


class ApprovalAlreadyDecided(InboxError):
    """Someone decided first (or the time ran out): the message names who and what."""


def _approval_for_decision(*, reply_id: int, actor: User) -> ReplyApproval:
    approval = ReplyApproval.objects.select_related("reply__author", "decided_by").filter(reply_id=reply_id).first()
    if approval is None:
        raise MentionNotFound(_("That reply is not waiting for approval."))
    reply = approval.reply
    if reply.author_id == actor.pk:
        raise InboxError(_("Four eyes: someone other than its author must decide on this reply."))
    if not approver_may_decide(
        user=actor, author_id=reply.author_id, roles=approval.approver_roles, user_ids=approval.approver_ids
    ):
        raise InboxError(_("You are not among the approvers of this reply."))
    return approval


def _not_claimed(approval: ReplyApproval, now: datetime) -> ApprovalAlreadyDecided:
    """Why a decision found the reply no longer waiting: someone decided first, or the time ran out."""
    approval.refresh_from_db()
    if approval.decision == ApprovalDecision.PENDING and approval.expires_at <= now:
        return ApprovalAlreadyDecided(
            _("The time limit for this reply has passed: it will not be sent. Its author may write again.")
        )
    if approval.decision == ApprovalDecision.PENDING:
        return ApprovalAlreadyDecided(_("This reply is no longer waiting for approval."))
    who = approval.decided_by.display_name if approval.decided_by else _("the system")
    return ApprovalAlreadyDecided(
        _("Already decided by %(name)s: %(decision)s.") % {"name": who, "decision": approval.get_decision_display()}
    )


def _claim(approval: ReplyApproval, *, state: str, now: datetime, **fields) -> None:
    """The one conditional UPDATE a decision wins by. Its condition is on the reply's own row only: a
    second approver's UPDATE waits for the first's row lock and then re-reads the state, which a join or
    a subquery would not. Every way out of "pending_approval" changes the state, so it is the guard."""
    if approval.expires_at <= now:
        raise _not_claimed(approval, now)
    claimed = Reply.objects.filter(pk=approval.reply_id, state=ReplyState.PENDING_APPROVAL).update(
        state=state, **fields
    )
    if not claimed:
        raise _not_claimed(approval, now)


def _conflicts(*, mention: Mention, reply: Reply) -> list[str]:
    conflicts = []
    other = (
        mention.replies.filter(state__in=ANSWERED_STATES, created_at__gt=reply.created_at)
        .exclude(pk=reply.pk)
        .select_related("author")
        .first()
    )
    if other is not None:
        conflicts.append(_("%(name)s answered this mention meanwhile.") % {"name": other.author.display_name})
    if mention.is_hidden:
        conflicts.append(_("The mention was hidden meanwhile."))
    if mention.status == MentionStatus.CLOSED:
        conflicts.append(_("The mention was closed meanwhile."))
    return conflicts


def _decided(*, reply: Reply, approval: ReplyApproval, actor: User | None, change: str, data: dict) -> None:
    audit_record(actor=actor, verb=f"reply.approval_{change}", target=reply, data={"mention": reply.mention_id, **data})
    publish_on_commit(
        approval_groups(approval, author_id=reply.author_id), events.reply_approval(reply, approval, change=change)
    )
    _publish_reply_changed(reply)


def reply_approve(*, reply_id: int, actor: User, body: str | None = None, confirm: bool = False) -> Reply:
    """Approve a waiting reply (with `body`, edit it first: its author still signs it) and queue it to send now.

    Refused: to its author, to anyone the request does not name, once decided or expired (the message
    says by whom), when the edited text breaks the network's limit; and — unless `confirm` — when the
    mention was answered by another reply, hidden or closed meanwhile (`ApprovalConflict`). Audited as
    "reply.approval_approved" or "reply.approval_edited"; pushes `reply.approval` and `reply.changed`.
    """
    approval = _approval_for_decision(reply_id=reply_id, actor=actor)
    edited = body is not None and body.strip() != approval.reply.body
    text = (body or "").strip() if edited else approval.reply.body
    if not text or len(text) > MAX_BODY:
        raise InboxError(_("The reply is empty.") if not text else _("The reply is far longer than any network takes."))
    now = timezone.now()
    with transaction.atomic():
        _claim(approval, state=ReplyState.QUEUED, now=now, send_after=now, body=text)
        reply = Reply.objects.select_related("author").get(pk=reply_id)
        mention = _mention_for_update(reply.mention_id)
        refusal = reply_refusal(mention=mention, signed_body=reply.signed_body)
        if refusal:
            raise InboxError(refusal)
        conflicts = _conflicts(mention=mention, reply=reply)
        if conflicts and not confirm:
            raise ApprovalConflict(conflicts)
        approval.decision = ApprovalDecision.EDITED if edited else ApprovalDecision.APPROVED
        approval.decided_by, approval.decided_at = actor, now
        approval.original_body = approval.reply.body if edited else ""
        approval.save(update_fields=["decision", "decided_by", "decided_at", "original_body"])
        mention_mark_answered(mention=mention, now=now)
        change = "edited" if edited else "approved"
        _decided(reply=reply, approval=approval, actor=actor, change=change, data={"conflicts_confirmed": conflicts})
        _publish_changed(mention, "replied")
        _enqueue_send(reply.pk)
    return reply


def reply_reject(*, reply_id: int, actor: User, comment: str) -> Reply:
    """Reject a waiting reply with a comment for its author; nothing is sent and the mention stays
    unanswered. The same refusals as approving; audited as "reply.approval_rejected"."""
    comment = (comment or "").strip()
    if not comment:
        raise InboxError(_("Say why, so that its author can write a better reply."))
    approval = _approval_for_decision(reply_id=reply_id, actor=actor)
    now = timezone.now()
    with transaction.atomic():
        _claim(approval, state=ReplyState.REJECTED, now=now)
        reply = Reply.objects.select_related("author").get(pk=reply_id)
        approval.decision, approval.decided_by, approval.decided_at = ApprovalDecision.REJECTED, actor, now
        approval.comment = comment[:2000]
        approval.save(update_fields=["decision", "decided_by", "decided_at", "comment"])
        mention = _mention_for_update(reply.mention_id)
        _decided(reply=reply, approval=approval, actor=actor, change="rejected", data={"comment": comment[:200]})
        _publish_changed(mention, "reply_rejected")
    return reply


def reply_approvals_expire(*, now: datetime | None = None) -> int:
    """Beat: every reply whose time limit passed with nobody deciding becomes "approval_expired", once
    (conditional UPDATE: a run twice, or racing an approver, finds it decided); it is NOT sent. The author
    and the approvers are told; audited as "reply.approval_expired". Returns how many expired."""
    now = now or timezone.now()
    due = list(
        ReplyApproval.objects.filter(decision=ApprovalDecision.PENDING, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("reply_id", flat=True)[:EXPIRE_LIMIT]
    )
    expired = 0
    for reply_id in due:
        with transaction.atomic():
            if not Reply.objects.filter(pk=reply_id, state=ReplyState.PENDING_APPROVAL).update(
                state=ReplyState.APPROVAL_EXPIRED
            ):
                continue
            ReplyApproval.objects.filter(reply_id=reply_id).update(decision=ApprovalDecision.EXPIRED, decided_at=now)
            reply = Reply.objects.select_related("author", "approval").get(pk=reply_id)
            _decided(reply=reply, approval=reply.approval, actor=None, change="expired", data={})
            expired += 1
    return expired


def approval_rule_update(
    *, actor: User, fields: dict[str, Any], new_starter_ids: list[int], approver_ids: list[int]
) -> ReplyApprovalRule:
    """Save the one rule (validated by its form) and audit what it now says as "reply_approval_rule.update".
    Replies already waiting keep the rule they were held under."""
    with transaction.atomic():
        rule, _created = ReplyApprovalRule.objects.select_for_update(no_key=True).get_or_create(pk=RULE_ID)
        for name, value in fields.items():
            setattr(rule, name, value)
        rule.updated_by = actor
        rule.save()
        rule.new_starters.set(new_starter_ids)
        rule.approvers.set(approver_ids)
        transaction.on_commit(lambda: cache.delete(APPROVERS_CACHE_ENTRY))
        audit_record(
            actor=actor,
            verb="reply_approval_rule.update",
            target=rule,
            data={
                **{name: value for name, value in fields.items()},
                "new_starters": new_starter_ids,
                "approvers": approver_ids,
            },
        )
    return rule
