"""Reads of the console: which live groups a user's socket joins."""

from __future__ import annotations

from crisisdesk.models import Role, User
from crisisdesk.realtime import BROADCAST_GROUP, INBOX_GROUP, group_for_department, group_for_role, group_for_user
from crisisdesk.roles import user_role
from escalation.selectors import department_ids_for_user


def console_groups_for_user(user: User) -> list[str]:
    """The groups are named by the server from the user's role and departments, never by the client."""
    role = user_role(user)
    if role is None:
        return []
    groups = [BROADCAST_GROUP, group_for_user(user.pk), group_for_role(role)]
    if role in (Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN):
        groups.append(INBOX_GROUP)
    groups += [group_for_department(department_id) for department_id in department_ids_for_user(user)]
    return groups
