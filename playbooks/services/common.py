"""What every crisis service shares: who may act, the people a playbook names, and row locks."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crisisdesk.models import Role, User
from crisisdesk.roles import user_has_role
from crisisdesk.text import user_display_name
from playbooks.content import people_spec
from playbooks.errors import CrisisError
from playbooks.models import Crisis

DECLARERS = frozenset({Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN})
PLAYBOOK_EDITORS = frozenset({Role.ADMIN})
SYSTEM_NAME = "Crisis Desk"


def display_name(user: User | None) -> str:
    """The name shown for an actor; the product's own name when the system acted."""
    return user_display_name(user) or SYSTEM_NAME


def role_require(actor: User, roles: frozenset[str], message: str | Promise) -> None:
    if not user_has_role(actor, roles):
        raise CrisisError(message)


def crisis_for_update(crisis_id: int) -> Crisis:
    """The crisis, locked for the caller's transaction."""
    crisis = Crisis.objects.select_for_update(no_key=True).filter(pk=crisis_id).first()
    if crisis is None:
        raise CrisisError(_("That crisis does not exist."))
    return crisis


def users_named(names: Iterable[str]) -> list[User]:
    """Active users a playbook names, by username or as "role:<role>"."""
    spec = people_spec(list(names))
    if not spec.usernames and not spec.roles:
        return []
    return list(
        User.objects.filter(Q(username__in=spec.usernames) | Q(role__in=spec.roles), is_active=True)
        .order_by("pk")
        .distinct()
    )
