"""The crisis checklist: the playbook's steps, given to named people, ticked by the crisis team as they
are done, and extended by the playbook of a higher level when the level is raised."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from playbooks import events
from playbooks.choices import IncidentRole
from playbooks.content import content_clean
from playbooks.errors import CrisisError, CrisisForbidden, CrisisNotFound
from playbooks.incident_selectors import crisis_people_assignable, crisis_role_holder, crisis_team_includes
from playbooks.models import ChecklistItem, Crisis, CrisisEventKind
from playbooks.selectors import playbook_version_current
from playbooks.services.common import DECLARERS, crisis_for_update, display_name, role_require
from playbooks.services.timeline import crisis_event_add


def checklist_item_for_step(*, crisis: Crisis, position: int, step: dict, now: datetime) -> ChecklistItem:
    """A playbook step as the crisis's checklist item (unsaved), due its minutes after `now`."""
    return ChecklistItem(
        crisis=crisis,
        position=position,
        text=step["text"],
        responsible_role=step["role"],
        due_at=now + timedelta(minutes=step["minutes"]),
    )


def checklist_item_set(
    *, crisis_id: int, item_id: int, done: bool, actor: User, now: datetime | None = None
) -> ChecklistItem:
    """Tick or untick a step of that crisis; idempotent, timestamped and on the timeline.

    The step must belong to `crisis_id` (else `CrisisNotFound`). Emits `crisis.updated` (part
    "checklist") after commit.
    """
    role_require(actor, DECLARERS, _("Only the crisis team can tick checklist steps."))
    now = now or timezone.now()
    with transaction.atomic():
        item = (
            ChecklistItem.objects.select_for_update(no_key=True)
            .select_related("crisis")
            .filter(pk=item_id, crisis_id=crisis_id)
            .first()
        )
        if item is None:
            raise CrisisNotFound(_("That checklist step does not exist in this crisis."))
        if item.is_done == done:
            return item
        item.done_at = now if done else None
        item.done_by = actor if done else None
        item.save(update_fields=["done_at", "done_by"])
        crisis_event_add(
            crisis=item.crisis,
            kind=CrisisEventKind.CHECKLIST,
            key="checklist.done" if done else "checklist.reopened",
            params={"step": item.text},
            actor=actor,
            at=now,
            data={"item": item.pk, "done": done},
        )
        audit_record(actor=actor, verb="checklist.done" if done else "checklist.reopen", target=item)
        events.publish_crisis_updated(item.crisis_id, part="checklist")
    return item


# Who does each step, and the steps a higher level adds ------------------------------------------


def checklist_role_steps_sync(*, crisis: Crisis, role: str) -> int:
    """Inside the caller's transaction: the open steps for incident role `role` that nobody assigned by
    hand go to whoever holds it now (the first approver named, for approvers; nobody when no one does).
    A step that changes hands is reminded afresh. Returns how many changed; emits part "checklist"."""
    if role not in IncidentRole.values:
        return 0
    holder = crisis_role_holder(crisis_id=crisis.pk, role=role)
    changed = (
        ChecklistItem.objects.filter(crisis=crisis, responsible_role=role, done_at__isnull=True, assigned_by_hand=False)
        .exclude(assignee_id=holder)
        .update(assignee_id=holder, reminded_soon_at=None, reminded_due_at=None)
    )
    if changed:
        events.publish_crisis_updated(crisis.pk, part="checklist")
    return changed


def _assignee_parse(assignee_id: int | None) -> User | None:
    if assignee_id is None:
        return None
    person = crisis_people_assignable().filter(pk=assignee_id).first()
    if person is None:
        raise CrisisError(_("Choose someone of the crisis team's console: that person cannot take a step."))
    return person


def _item_for_assignment(*, crisis_id: int, item_id: int, actor: User) -> ChecklistItem:
    """The step, locked with its crisis, after checking that the actor is on the crisis team."""
    crisis = crisis_for_update(crisis_id)
    if not crisis_team_includes(crisis=crisis, user=actor):
        raise CrisisForbidden(_("Only the crisis team (its lead, owner, role holders and directors) can assign steps."))
    item = ChecklistItem.objects.select_for_update(no_key=True).filter(pk=item_id, crisis_id=crisis_id).first()
    if item is None:
        raise CrisisNotFound(_("That checklist step does not exist in this crisis."))
    if item.is_done:
        raise CrisisError(_("That step is done: reopen it before giving it to someone."))
    item.crisis = crisis
    return item


def checklist_item_assign(
    *,
    crisis_id: int,
    item_id: int,
    actor: User,
    assignee_id: int | None,
    due_at: datetime | None = None,
    now: datetime | None = None,
) -> ChecklistItem:
    """Give a step to a named person (or to nobody), and optionally a new due time; on the timeline.

    Only the crisis team (`crisis_team_includes`), else `CrisisForbidden`. A person chosen here is
    "by hand": naming the step's incident role later does not take it over; choosing nobody gives the
    step back to its role's holder, if any. A new assignee is reminded afresh, a new due time is also
    escalated afresh. Idempotent; emits `crisis.updated` (part "checklist") after commit.
    """
    role_require(actor, DECLARERS, _("Only the crisis team can assign checklist steps."))
    person = _assignee_parse(assignee_id)
    with transaction.atomic():
        item = _item_for_assignment(crisis_id=crisis_id, item_id=item_id, actor=actor)
        due = due_at or item.due_at
        if item.assignee_id == assignee_id and item.due_at == due and item.assigned_by_hand == (person is not None):
            return item
        if item.assignee_id != assignee_id or item.due_at != due:
            item.reminded_soon_at = item.reminded_due_at = None
        if item.due_at != due:
            item.escalated_at = None
        item.assignee, item.due_at, item.assigned_by_hand = person, due, person is not None
        item.save(
            update_fields=[
                "assignee", "due_at", "assigned_by_hand", "reminded_soon_at", "reminded_due_at", "escalated_at"
            ]
        )
        if person is None:
            checklist_role_steps_sync(crisis=item.crisis, role=item.responsible_role)
            item.refresh_from_db(fields=["assignee"])
        crisis_event_add(
            crisis=item.crisis,
            kind=CrisisEventKind.CHECKLIST,
            key="checklist.assigned" if item.assignee_id else "checklist.unassigned",
            params={
                "person": display_name(item.assignee) if item.assignee_id else "",
                "actor": display_name(actor),
                "due": item.due_at.isoformat() if item.due_at else "",
                "step": item.text,
            },
            actor=actor,
            at=now,
            data={"item": item.pk, "assignee": item.assignee_id, "by_hand": item.assigned_by_hand},
        )
        audit_record(
            actor=actor,
            verb="checklist.assign",
            target=item,
            data={"assignee": item.assignee_id, "due_at": item.due_at.isoformat() if item.due_at else None},
        )
        events.publish_crisis_updated(crisis_id, part="checklist")
    return item


def _step_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def checklist_level_steps_add(*, crisis: Crisis, level: int, actor: User | None, now: datetime) -> list[ChecklistItem]:
    """Inside the caller's transaction, the crisis locked: append the steps of the current playbook for
    the crisis's type at `level` that the checklist does not have yet (the same text), due counted from
    `now`, given to the holders of their incident roles, with one timeline entry. Running it again adds
    nothing. Returns the steps added."""
    version = playbook_version_current(crisis_type=crisis.crisis_type, level=level)
    if version is None:
        return []
    existing = ChecklistItem.objects.filter(crisis=crisis)
    seen = {_step_key(text) for text in existing.values_list("text", flat=True)}
    position = max(existing.values_list("position", flat=True), default=0)
    added = []
    for step in content_clean(version.content)["steps"]:
        if _step_key(step["text"]) in seen:
            continue
        seen.add(_step_key(step["text"]))
        position += 1
        added.append(checklist_item_for_step(crisis=crisis, position=position, step=step, now=now))
    if not added:
        return []
    ChecklistItem.objects.bulk_create(added)
    for role in {item.responsible_role for item in added}:
        checklist_role_steps_sync(crisis=crisis, role=role)
    crisis_event_add(
        crisis=crisis,
        kind=CrisisEventKind.CHECKLIST,
        key="checklist.steps_added",
        params={"count": len(added), "level": level},
        actor=actor,
        at=now,
        data={"level": level, "playbook_version": version.pk, "items": [item.pk for item in added]},
    )
    events.publish_crisis_updated(crisis.pk, part="checklist")
    return added
