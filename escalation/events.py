"""The live payloads of escalation, and the groups each one goes to.

Payloads carry ids and short server-side labels only; pages re-fetch server-rendered (escaped)
partials, so nothing a stranger wrote travels to a browser through a websocket event.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from django.db.models import Q

from crisisdesk.models import Role, User
from crisisdesk.realtime import event, group_for_department, group_for_role, group_for_user, publish_on_commit
from escalation.models import EscalationRequest

EscalationEventType = Literal[
    "escalation.created",
    "escalation.acknowledged",
    "escalation.answered",
    "escalation.escalated",
    "escalation.overdue",
    "escalation.reminder",
    "escalation.closed",
]


def escalation_payload(
    event_type: EscalationEventType, request: EscalationRequest, *, mention_ids: list[int], **extra: Any
) -> dict[str, Any]:
    return event(
        event_type,
        request_id=request.pk,
        department_id=request.department_id,
        department=request.department.name,
        status=request.status,
        step=request.current_step,
        due_at=request.due_at.isoformat(),
        mention_ids=mention_ids,
        **extra,
    )


def escalation_publish(
    event_type: EscalationEventType,
    request: EscalationRequest,
    *,
    mention_ids: list[int],
    user_ids: Iterable[int] = (),
    include_team: bool = False,
    **extra: Any,
) -> None:
    """Send after commit to the department, the directors and admins, the named users, and the CMs if asked.

    A named user already reached through their role or department group is not sent a second copy.
    """
    roles = [Role.DIRECTOR, Role.ADMIN] + ([Role.COMMUNITY_MANAGER] if include_team else [])
    groups = [group_for_department(request.department_id)] + [group_for_role(role) for role in roles]
    user_ids = list(user_ids)
    if user_ids:
        others = (
            User.objects.filter(pk__in=user_ids, is_superuser=False)
            .exclude(role__in=roles)
            .exclude(Q(headed_departments=request.department_id) | Q(departments=request.department_id))
            .values_list("pk", flat=True)
            .distinct()
        )
        groups += [group_for_user(user_id) for user_id in sorted(others)]
    publish_on_commit(groups, escalation_payload(event_type, request, mention_ids=mention_ids, **extra))
