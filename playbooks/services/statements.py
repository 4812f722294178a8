"""Public statements written during a crisis, and the four-eyes approval they need before going out."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from playbooks import events
from playbooks.content import content_clean
from playbooks.errors import CrisisError, CrisisForbidden, CrisisNotFound
from playbooks.models import (
    ACTIVE_CRISIS_STATUSES,
    ApprovalMode,
    CrisisEventKind,
    Statement,
    StatementDecision,
    StatementStatus,
)
from playbooks.services.common import DECLARERS, crisis_for_update, display_name, role_require, users_named
from playbooks.services.timeline import crisis_event_add

MAX_STATEMENT_LENGTH = 5000


def statement_submit(*, crisis_id: int, author: User, body: str) -> Statement:
    """A public statement waits for the playbook's approvers, who see it live in their user groups.

    Four eyes: the author is never one of its approvers. If the playbook names only the author, the
    statement waits with no approver and the crisis room says another approver is needed.
    """
    role_require(author, DECLARERS, _("Only the crisis team can write statements."))
    body = (body or "").strip()
    if not body:
        raise CrisisError(_("The statement is empty."))
    if len(body) > MAX_STATEMENT_LENGTH:
        raise CrisisError(_("The statement is longer than 5,000 characters."))
    with transaction.atomic():
        crisis = crisis_for_update(crisis_id)
        if crisis.status not in ACTIVE_CRISIS_STATUSES:
            raise CrisisError(_("Statements need an active crisis."))
        content = content_clean(crisis.playbook_content)
        named = users_named(content["approvers"] or content["decision_makers"] or ["role:director"])
        if not named:
            raise CrisisError(_("The playbook names no one who can approve statements."))
        approvers = [user for user in named if user.pk != author.pk]
        statement = Statement.objects.create(
            crisis=crisis, body=body, author=author, approval_mode=content["approval"]
        )
        statement.approvers.set(approvers)
        crisis_event_add(
            crisis=crisis,
            kind=CrisisEventKind.STATEMENT,
            key="statement.submitted" if approvers else "statement.submitted_without_approver",
            params={"actor": display_name(author)},
            actor=author,
            data={"statement": statement.pk, "needs_approver": not approvers},
        )
        audit_record(actor=author, verb="statement.submit", target=statement)
        events.publish_to_users([user.pk for user in approvers], events.statement_pending(statement))
        events.publish_crisis_updated(crisis.pk, part="statements")
    return statement


def _statement_for_decision(
    *, crisis_id: int, statement_id: int, approver: User, approve: bool, comment: str
) -> Statement:
    """Lock the statement and refuse a decision that this approver may not make now."""
    statement = (
        Statement.objects.select_for_update()
        .select_related("crisis")
        .filter(pk=statement_id, crisis_id=crisis_id)
        .first()
    )
    if statement is None:
        raise CrisisNotFound(_("That statement does not exist in this crisis."))
    if statement.author_id == approver.pk:
        raise CrisisForbidden(_("You wrote this statement, so you cannot approve it: another approver must decide."))
    if not approve and not comment:
        raise CrisisError(_("Say why the statement goes back."))
    if not statement.approvers.filter(pk=approver.pk).exists():
        raise CrisisError(_("You are not an approver of this statement."))
    if statement.status != StatementStatus.PENDING:
        raise CrisisError(_("This statement has already been decided."))
    if statement.decisions.filter(approver=approver).exists():
        raise CrisisError(_("You have already approved this statement."))
    return statement


def _statement_status_after(statement: Statement, *, approve: bool) -> str:
    """Sent back at once; approved by one approver ("any") or once every approver has ("all")."""
    if not approve:
        return StatementStatus.RETURNED
    if statement.approval_mode == ApprovalMode.ANY:
        return StatementStatus.APPROVED
    approved = set(statement.decisions.filter(approved=True).values_list("approver_id", flat=True))
    if approved >= set(statement.approvers.values_list("pk", flat=True)):
        return StatementStatus.APPROVED
    return StatementStatus.PENDING


def statement_decide(
    *, crisis_id: int, statement_id: int, approver: User, approve: bool, comment: str = ""
) -> Statement:
    """Approve, or send back with a comment. With "any" one approval is enough; with "all" everyone's.

    The statement must belong to `crisis_id` (else `CrisisNotFound`), and its author can never
    decide on it, even if named an approver (`CrisisForbidden`): four eyes, for the page and the API.
    """
    comment = (comment or "").strip()
    with transaction.atomic():
        statement = _statement_for_decision(
            crisis_id=crisis_id, statement_id=statement_id, approver=approver, approve=approve, comment=comment
        )
        StatementDecision.objects.create(statement=statement, approver=approver, approved=approve, comment=comment)
        statement.status = _statement_status_after(statement, approve=approve)
        if statement.status != StatementStatus.PENDING:
            statement.decided_at = timezone.now()
            statement.save(update_fields=["status", "decided_at"])
        key = "statement.approved" if approve else "statement.returned"
        crisis_event_add(
            crisis=statement.crisis,
            kind=CrisisEventKind.STATEMENT,
            key=f"{key}_with_comment" if comment else key,
            params={"actor": display_name(approver), "comment": comment},
            actor=approver,
            data={"statement": statement.pk, "approved": approve},
        )
        audit_record(
            actor=approver,
            verb="statement.approve" if approve else "statement.return",
            target=statement,
            data={"comment": comment},
        )
        recipients = [statement.author_id, *statement.approvers.values_list("pk", flat=True)]
        events.publish_to_users(recipients, events.statement_decided(statement))
        events.publish_crisis_updated(statement.crisis_id, part="statements")
    return statement
