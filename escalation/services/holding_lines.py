"""Writes for holding lines: a department head adds, approves and retires their department's lines."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from crisisdesk.text import validate_single_line
from escalation.holding_lines import user_may_manage_holding_lines
from escalation.models import Department, HoldingLine
from escalation.services.errors import EscalationPermissionError

MAX_HOLDING_LINE_TEXT = 1000


def _check(*, user: User, department_id: int) -> None:
    if not user_may_manage_holding_lines(user=user, department_id=department_id):
        raise EscalationPermissionError("Only the department's heads, directors and admins manage its holding lines.")


@transaction.atomic
def holding_line_create(
    *, user: User, department: Department, topic: str, text: str, approve: bool = False
) -> HoldingLine:
    """Add a line for a topic; approved at once when the head says so, else waiting for approval.
    Only the department's heads (or a director, an admin) may: a line speaks for the department."""
    _check(user=user, department_id=department.pk)
    topic = topic.strip()
    validate_single_line(topic)
    now = timezone.now()
    line = HoldingLine.objects.create(
        department=department,
        topic=topic,
        text=text.strip()[:MAX_HOLDING_LINE_TEXT],
        created_by=user,
        created_at=now,
        approved_by=user if approve else None,
        approved_at=now if approve else None,
    )
    audit_record(actor=user, verb="holding_line.create", target=line, data={"approved": approve})
    return line


@transaction.atomic
def holding_line_approve(*, user: User, line_id: int) -> HoldingLine:
    """Approve (and reactivate) a line: from now on the composer may offer it when a request is late."""
    line = HoldingLine.objects.select_for_update(no_key=True).get(pk=line_id)
    _check(user=user, department_id=line.department_id)
    line.approved_by, line.approved_at, line.active = user, timezone.now(), True
    line.save(update_fields=["approved_by", "approved_at", "active"])
    audit_record(actor=user, verb="holding_line.approve", target=line)
    return line


@transaction.atomic
def holding_line_retire(*, user: User, line_id: int) -> HoldingLine:
    """Stop offering a line (kept for the record; approving it again brings it back)."""
    line = HoldingLine.objects.select_for_update(no_key=True).get(pk=line_id)
    _check(user=user, department_id=line.department_id)
    line.active = False
    line.save(update_fields=["active"])
    audit_record(actor=user, verb="holding_line.retire", target=line)
    return line
