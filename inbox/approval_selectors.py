"""Reads of reply approvals: the rule as it stands, the queue an approver decides from, who may see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from crisisdesk.models import User
from crisisdesk.roles import CONSOLE_STAFF, user_role
from inbox import hooks
from inbox.approval_models import RULE_ID, ApprovalDecision, ReplyApproval, ReplyApprovalRule
from inbox.approvals import approver_may_decide
from inbox.models import Reply, ReplyState

QUEUE_LIMIT = 200
RECENT_LIMIT = 20
APPROVERS_CACHE_ENTRY = "inbox.reply-approvers"
APPROVERS_CACHE_SECONDS = 30


def approval_rule_current() -> ReplyApprovalRule:
    """The stored rule, or the defaults (approvals from level 2, directors and administrators approve,
    15 minutes, no new starters, no phrases) while nobody has saved one."""
    return ReplyApprovalRule.objects.filter(pk=RULE_ID).first() or ReplyApprovalRule(pk=RULE_ID)


def approval_rule_member_ids(rule: ReplyApprovalRule) -> tuple[list[int], list[int]]:
    """(new starters, named approvers) of the rule; none for the unsaved defaults."""
    if rule._state.adding:
        return [], []
    new_starters = list(rule.new_starters.values_list("pk", flat=True))
    approvers = list(rule.approvers.values_list("pk", flat=True))
    return new_starters, approvers


def _crisis_owner_id() -> int | None:
    crisis = hooks.crisis_reader().crisis_most_serious_open()
    return getattr(crisis, "owner_id", None) if crisis is not None else None


def approvers_named() -> tuple[list[str], list[int], bool]:
    """(roles that approve, named approvers, whether the crisis owner does) as the rule says; cached for
    `APPROVERS_CACHE_SECONDS` because every page's navigation asks, and forgotten when the rule is saved."""
    cached = cache.get(APPROVERS_CACHE_ENTRY)
    if cached is None:
        rule = approval_rule_current()
        _new_starters, approver_ids = approval_rule_member_ids(rule)
        cached = (list(rule.approver_roles or []), approver_ids, bool(rule.crisis_owner_approves))
        cache.set(APPROVERS_CACHE_ENTRY, cached, APPROVERS_CACHE_SECONDS)
    roles, approver_ids, owner_approves = cached
    return list(roles), list(approver_ids), bool(owner_approves)


def user_is_named_approver(*, user: User) -> bool:
    """Whether the rule names this person an approver, by role or by name (the navigation's question)."""
    role = user_role(user)
    if role not in CONSOLE_STAFF:
        return False
    roles, approver_ids, _owner_approves = approvers_named()
    return role in roles or user.pk in approver_ids


def user_is_approver(*, user: User) -> bool:
    """Whether the rule, as it stands, makes this person an approver: by role, by name, or as the owner of
    the most serious open crisis. A department head never is."""
    if user_is_named_approver(user=user):
        return True
    _roles, _approver_ids, owner_approves = approvers_named()
    return user_role(user) in CONSOLE_STAFF and owner_approves and _crisis_owner_id() == user.pk


@dataclass(frozen=True)
class PendingApproval:
    reply: Reply
    approval: ReplyApproval
    may_decide: bool
    crisis_over: bool  # the crisis it was written in is no longer declared or contained


def _crisis_over(approval: ReplyApproval, cache: dict[int, bool]) -> bool:
    if approval.crisis_id is None:
        return False
    if approval.crisis_id not in cache:
        crisis: Any = hooks.crisis_reader().crisis_get(crisis_id=approval.crisis_id)
        cache[approval.crisis_id] = crisis is None or not getattr(crisis, "is_active", False)
    return cache[approval.crisis_id]


def approvals_pending(*, user: User) -> list[PendingApproval]:
    """The replies waiting for approval, oldest (closest to its time limit) first, each saying whether this
    person may decide it (its own author may not) and whether its crisis is over."""
    replies = (
        Reply.objects.filter(state=ReplyState.PENDING_APPROVAL, approval__decision=ApprovalDecision.PENDING)
        .select_related("author", "mention__author", "mention__channel", "approval")
        .order_by("approval__expires_at", "pk")[:QUEUE_LIMIT]
    )
    crises: dict[int, bool] = {}
    return [
        PendingApproval(
            reply=reply,
            approval=reply.approval,
            may_decide=approver_may_decide(
                user=user,
                author_id=reply.author_id,
                roles=reply.approval.approver_roles,
                user_ids=reply.approval.approver_ids,
            ),
            crisis_over=_crisis_over(reply.approval, crises),
        )
        for reply in replies
    ]


def approvals_recent(*, limit: int = RECENT_LIMIT) -> list[ReplyApproval]:
    """The latest decisions, newest first: what the team approved, rejected or let expire."""
    return list(
        ReplyApproval.objects.exclude(decision=ApprovalDecision.PENDING)
        .select_related("reply__author", "reply__mention__author", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


def approval_for_reply(*, reply_id: int) -> ReplyApproval | None:
    return ReplyApproval.objects.select_related("reply__mention", "decided_by").filter(reply_id=reply_id).first()
