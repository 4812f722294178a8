"""Incident roles of a crisis (as PagerDuty and Netflix's Dispatch name them): its lead (the incident
commander), spokesperson, scribe and approvers.

The declarer is the lead from the start. The crisis team (`incident_selectors.crisis_team_includes`)
names and removes the others; each change locks the crisis, is written to the timeline and the audit
trail, gives the role's checklist steps to the new holder (`checklist_role_steps_sync`) and emits
`crisis.updated` (part "roles") after commit.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from playbooks import events
from playbooks.choices import IncidentRole
from playbooks.errors import CrisisError, CrisisForbidden
from playbooks.incident_selectors import crisis_people_assignable, crisis_team_includes
from playbooks.models import ACTIVE_CRISIS_STATUSES, Crisis, CrisisEventKind
from playbooks.models_roles import SINGLE_ROLES, CrisisRole
from playbooks.services.checklist import checklist_role_steps_sync
from playbooks.services.common import DECLARERS, crisis_for_update, display_name, role_require
from playbooks.services.timeline import crisis_event_add

TEAM_ONLY = _("Only the crisis team (its lead, owner, role holders and directors) can name incident roles.")


def _role_parse(role: str) -> str:
    if role not in IncidentRole.values:
        raise CrisisError(_("Choose a role: lead, spokesperson, approver or scribe."))
    return role


def _crisis_for_roles(*, crisis_id: int, actor: User) -> Crisis:
    """The crisis, locked, once the actor is known to be on its team and the crisis is active."""
    role_require(actor, DECLARERS, TEAM_ONLY)
    crisis = crisis_for_update(crisis_id)
    if not crisis_team_includes(crisis=crisis, user=actor):
        raise CrisisForbidden(TEAM_ONLY)
    if crisis.status not in ACTIVE_CRISIS_STATUSES:
        raise CrisisError(_("Roles are named while the crisis is active."))
    return crisis


def _role_remove(*, holding: CrisisRole, actor: User | None, now: datetime) -> None:
    crisis = holding.crisis
    holding.delete()
    crisis_event_add(
        crisis=crisis,
        kind=CrisisEventKind.ROLE,
        key="role.unassigned",
        params={"person": display_name(holding.user), "role": holding.role, "actor": display_name(actor)},
        actor=actor,
        at=now,
        data={"role": holding.role, "user": holding.user_id},
    )
    audit_record(
        actor=actor, verb="crisis.role_unassign", target=crisis, data={"role": holding.role, "user": holding.user_id}
    )


def crisis_role_put(
    *, crisis: Crisis, role: str, person: User, actor: User | None, now: datetime, key: str = "role.assigned"
) -> CrisisRole:
    """Inside the caller's transaction, the crisis locked: `person` holds `role` (replacing the one holder
    of a lead, spokesperson or scribe). Holding it already changes nothing. The declaration uses it too,
    with its own timeline `key`."""
    existing = CrisisRole.objects.filter(crisis=crisis, role=role, user=person).first()
    if existing is not None:
        return existing
    if role in SINGLE_ROLES:
        previous = CrisisRole.objects.select_related("user").filter(crisis=crisis, role=role).first()
        if previous is not None:
            previous.crisis = crisis
            _role_remove(holding=previous, actor=actor, now=now)
    holding = CrisisRole.objects.create(crisis=crisis, role=role, user=person, assigned_by=actor, assigned_at=now)
    crisis_event_add(
        crisis=crisis,
        kind=CrisisEventKind.ROLE,
        key=key,
        params={"person": display_name(person), "role": role, "actor": display_name(actor)},
        actor=actor,
        at=now,
        data={"role": role, "user": person.pk},
    )
    audit_record(actor=actor, verb="crisis.role_assign", target=crisis, data={"role": role, "user": person.pk})
    checklist_role_steps_sync(crisis=crisis, role=role)
    events.publish_crisis_updated(crisis.pk, part="roles")
    return holding


def crisis_role_assign(
    *, crisis_id: int, role: str, user_id: int, actor: User, now: datetime | None = None
) -> CrisisRole:
    """Name a person (active console staff) to an incident role of an active crisis; idempotent.

    Refused with `CrisisForbidden` to anyone outside the crisis team. The role's open steps that nobody
    assigned by hand go to the person.
    """
    role = _role_parse(role)
    person = crisis_people_assignable().filter(pk=user_id).first()
    if person is None:
        raise CrisisError(_("Choose someone of the crisis team's console: that person cannot hold a role."))
    with transaction.atomic():
        crisis = _crisis_for_roles(crisis_id=crisis_id, actor=actor)
        return crisis_role_put(crisis=crisis, role=role, person=person, actor=actor, now=now or timezone.now())


def crisis_role_unassign(*, crisis_id: int, role: str, user_id: int, actor: User, now: datetime | None = None) -> bool:
    """Take an incident role away from a person; False (and nothing written) when they did not hold it.

    The role's steps given to them by the role go to the next holder (another approver) or to nobody.
    """
    role = _role_parse(role)
    with transaction.atomic():
        crisis = _crisis_for_roles(crisis_id=crisis_id, actor=actor)
        holding = CrisisRole.objects.select_related("user").filter(crisis=crisis, role=role, user_id=user_id).first()
        if holding is None:
            return False
        holding.crisis = crisis
        _role_remove(holding=holding, actor=actor, now=now or timezone.now())
        checklist_role_steps_sync(crisis=crisis, role=role)
        events.publish_crisis_updated(crisis.pk, part="roles")
    return True
