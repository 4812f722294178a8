"""Reads about a crisis's incident roles: who holds them, who is on the crisis team, who may be named."""

from __future__ import annotations

from django.db.models import QuerySet

from crisisdesk.models import User
from crisisdesk.roles import CONSOLE_STAFF, MANAGERS, user_has_role
from playbooks.choices import IncidentRole
from playbooks.models import Crisis
from playbooks.models_roles import CrisisRole


def crisis_team_includes(*, crisis: Crisis, user: User) -> bool:
    """The crisis team names roles and assigns steps: directors and administrators, the crisis's owner
    and declarer, and whoever holds one of its incident roles. Another community manager only reads."""
    if user_has_role(user, MANAGERS):
        return True
    if not user_has_role(user, CONSOLE_STAFF):
        return False
    if user.pk in (crisis.owner_id, crisis.declared_by_id):
        return True
    return CrisisRole.objects.filter(crisis_id=crisis.pk, user_id=user.pk).exists()


def crisis_roles(*, crisis_id: int) -> list[CrisisRole]:
    return list(
        CrisisRole.objects.filter(crisis_id=crisis_id).select_related("user").order_by("role", "assigned_at", "id")
    )


def crisis_approvers(*, crisis_id: int) -> list[User]:
    """The people named approvers of this crisis, in the order they were named (active accounts only)."""
    return [
        role.user
        for role in CrisisRole.objects.filter(crisis_id=crisis_id, role=IncidentRole.APPROVER, user__is_active=True)
        .select_related("user")
        .order_by("assigned_at", "id")
    ]


def crisis_role_holder(*, crisis_id: int, role: str) -> int | None:
    """The person holding `role` (the first named, for approvers); None when nobody does."""
    return (
        CrisisRole.objects.filter(crisis_id=crisis_id, role=role)
        .order_by("assigned_at", "id")
        .values_list("user_id", flat=True)
        .first()
    )


def crisis_roles_panel(*, crisis_id: int) -> list[dict]:
    """The crisis room's Roles panel: each incident role in order, with the people holding it."""
    holdings = crisis_roles(crisis_id=crisis_id)
    return [
        {
            "role": role.value,
            "label": role.label,
            "single": role != IncidentRole.APPROVER,
            "holders": [holding.user for holding in holdings if holding.role == role],
        }
        for role in IncidentRole
    ]


def crisis_people_assignable() -> QuerySet[User]:
    """People who may hold a role or a step: the active console staff, who can open the crisis room."""
    return User.objects.filter(is_active=True, role__in=sorted(CONSOLE_STAFF)).order_by(
        "first_name", "last_name", "username"
    )
