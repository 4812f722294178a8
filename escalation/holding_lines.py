"""Reads for holding lines: who manages which department's lines, and what the composer offers.

A department head manages the lines of the departments they head (not those they only belong to);
directors and administrators manage every department's. The composer (through the inbox hook
`mention_reply_templates`) gets a department's active, approved lines for a mention's topic only
while a request about that mention — or about its cluster — is overdue: a holding line stands in
for an answer that is late, not for one still on time.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.models import Role, User
from crisisdesk.roles import user_role
from escalation.models import PENDING_STATUSES, Department, EscalationRequest, HoldingLine
from inbox.models import Mention

HOLDING_LINE_SOURCE = "holding_line"
TEMPLATES_LIMIT = 10


def holding_line_departments(*, user: User) -> QuerySet[Department]:
    """The departments whose holding lines `user` may add, approve and retire."""
    role = user_role(user)
    if role in (Role.DIRECTOR, Role.ADMIN):
        return Department.objects.all()
    if role == Role.DEPARTMENT_HEAD:
        return Department.objects.filter(heads=user)
    return Department.objects.none()


def user_may_manage_holding_lines(*, user: User, department_id: int) -> bool:
    return holding_line_departments(user=user).filter(pk=department_id).exists()


def holding_lines_manageable(*, user: User) -> QuerySet[HoldingLine]:
    """The lines of the user's departments, pending approval first, for their page."""
    return (
        HoldingLine.objects.filter(department__in=holding_line_departments(user=user))
        .select_related("department", "approved_by", "created_by")
        .order_by("department__name", "-active", "approved_at", "topic", "id")
    )


def topic_matches(*, topic: str, mention: Mention) -> bool:
    """A line's topic fits a mention when it names its category or is a word of its text."""
    wanted = topic.strip().lower()
    if not wanted:
        return False
    category = (mention.category or "").lower()
    return wanted in (category, mention.get_category_display().lower()) or wanted in (mention.text or "").lower()


def _overdue_department_ids(*, mention: Mention, now: datetime) -> list[int]:
    about = Q(mentions=mention.pk)
    if mention.cluster_id:
        about |= Q(mentions__cluster_id=mention.cluster_id)
    return list(
        EscalationRequest.objects.filter(about, status__in=PENDING_STATUSES, due_at__lte=now)
        .values_list("department_id", flat=True)
        .distinct()
    )


def holding_line_templates(*, mention: Mention, now: datetime | None = None) -> list[tuple[str, str, str]]:
    """(source, label, text) of the holding lines the composer offers for `mention`: those of the
    departments with an overdue request about it, for its topic (registered on the inbox hook)."""
    department_ids = _overdue_department_ids(mention=mention, now=now or timezone.now())
    if not department_ids:
        return []
    lines = HoldingLine.objects.filter(
        department_id__in=department_ids, active=True, approved_at__isnull=False
    ).select_related("department")
    return [
        (
            HOLDING_LINE_SOURCE,
            _("%(department)s · holding line · %(topic)s") % {"department": line.department.name, "topic": line.topic},
            line.text,
        )
        for line in lines
        if topic_matches(topic=line.topic, mention=mention)
    ][:TEMPLATES_LIMIT]
