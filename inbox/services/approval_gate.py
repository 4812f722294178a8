"""The gate `reply_queue` passes a reply through: during a crisis at the rule's level or above, a reply by a
named community manager, or with a risky phrase, waits for an approver instead of being sent.

The crisis is the one the reply is written in (`inbox.hooks.crisis_reader().mention_active_crisis`: a
declared or contained crisis the mention belongs to, else the banner's), so a crisis only detected, not
yet declared, holds nothing. What the rule decided (why, who may approve, until when) is copied onto the
request: editing the rule later changes nothing for a reply already waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from crisisdesk.realtime import group_for_role, group_for_user, publish_on_commit
from inbox import events, hooks
from inbox.approval_models import ApprovalDecision, ApprovalReason, ReplyApproval
from inbox.approval_selectors import approval_rule_current, approval_rule_member_ids
from inbox.approvals import patterns_parse, risky_matches
from inbox.models import Mention, Reply


@dataclass(frozen=True)
class ApprovalNeed:
    """Why a reply waits and the rule's decision about it, ready to be copied onto its request."""

    reasons: list[dict[str, str]]
    crisis_id: int | None
    crisis_title: str
    crisis_level: int
    approver_roles: list[str]
    approver_ids: list[int]
    expires_at: datetime


def reply_approval_need(*, mention: Mention, author: User, body: str) -> ApprovalNeed | None:
    """None when the reply may go as usual; else why it must wait. Reads only (the rule, the crisis)."""
    rule = approval_rule_current()
    if not rule.enabled:
        return None
    crisis: Any = hooks.crisis_reader().mention_active_crisis(mention=mention)
    level = int(getattr(crisis, "level", 0) or 0) if crisis is not None else 0
    if crisis is None or level < rule.minimum_crisis_level:
        return None
    new_starters, approvers = approval_rule_member_ids(rule)
    reasons = []
    if author.pk in new_starters:
        reasons.append({"code": ApprovalReason.NEW_STARTER.value, "detail": ""})
    patterns, _errors = patterns_parse(rule.risky_patterns, probe=False)
    reasons += [
        {"code": ApprovalReason.RISKY_PHRASE.value, "detail": phrase}
        for phrase in risky_matches(patterns=patterns, text=body)
    ]
    if not reasons:
        return None
    owner_id = getattr(crisis, "owner_id", None)
    if rule.crisis_owner_approves and owner_id:
        approvers.append(owner_id)
    return ApprovalNeed(
        reasons=reasons,
        crisis_id=crisis.pk,
        crisis_title=str(getattr(crisis, "title", ""))[:200],
        crisis_level=level,
        approver_roles=list(rule.approver_roles or []),
        approver_ids=sorted(set(approvers)),
        expires_at=timezone.now() + timedelta(minutes=rule.time_limit_minutes),
    )


def approval_groups(approval: ReplyApproval, *, author_id: int) -> list[str]:
    """Who hears about a request: the author, and every approver by role group and by name."""
    groups = [group_for_user(author_id)]
    groups += [group_for_role(role) for role in approval.approver_roles]
    groups += [group_for_user(user_id) for user_id in approval.approver_ids]
    return list(dict.fromkeys(groups))


def reply_approval_open(*, reply: Reply, need: ApprovalNeed) -> ReplyApproval:
    """Inside `reply_queue`'s transaction: the request row, audited as "reply.approval_requested" on the
    reply, and a `reply.approval` event ("requested") to the author and the approvers after commit."""
    approval = ReplyApproval.objects.create(
        reply=reply,
        reasons=need.reasons,
        crisis_id=need.crisis_id,
        crisis_title=need.crisis_title,
        crisis_level=need.crisis_level,
        approver_roles=need.approver_roles,
        approver_ids=need.approver_ids,
        requested_at=timezone.now(),
        expires_at=need.expires_at,
    )
    audit_record(
        actor=reply.author,
        verb="reply.approval_requested",
        target=reply,
        data={"mention": reply.mention_id, "reasons": need.reasons, "crisis": need.crisis_id},
    )
    publish_on_commit(
        approval_groups(approval, author_id=reply.author_id), events.reply_approval(reply, approval, change="requested")
    )
    return approval


def reply_approval_withdrawn(*, reply: Reply, actor: User) -> None:
    """Inside `reply_cancel`: the author took back a reply that was waiting; its request becomes
    "withdrawn" (once: a conditional UPDATE) and the approvers are told. Nothing for a reply never held."""
    now = timezone.now()
    if not ReplyApproval.objects.filter(reply=reply, decision=ApprovalDecision.PENDING).update(
        decision=ApprovalDecision.WITHDRAWN, decided_by=actor, decided_at=now
    ):
        return
    approval = ReplyApproval.objects.select_related("decided_by").get(reply=reply)
    audit_record(actor=actor, verb="reply.approval_withdrawn", target=reply, data={"mention": reply.mention_id})
    publish_on_commit(
        approval_groups(approval, author_id=reply.author_id), events.reply_approval(reply, approval, change="withdrawn")
    )
