"""The chase of a crisis checklist: reminders to the person a step is assigned to, escalation when late.

Three moments per step, each acted on exactly once: `REMIND_BEFORE` its due time the assignee is told
it is due soon, at its due time that it is due now, and `ESCALATE_AFTER` its due time, still not done,
the crisis lead is told (the crisis owner when the lead is the assignee, the directors when the owner
is too). The beat (`checklist_chase`) finds the steps whose moment has come and claims each with one
conditional UPDATE of the step's own stamp column: PostgreSQL re-checks it on the row a concurrent
sweeper committed, so a second beat, worker or run claims nothing and sends nothing. Only the claimant
records the messages, in the claim's transaction, as `CrisisNotification` rows sent after commit and
retried on failure (`playbooks.notifications`), and pushes `checklist.reminder` to the person's
`user.<id>` group for the console's notification centre. Reassigning a step, or moving its due time,
clears its stamps (`checklist_item_assign`), so the new person or the new time is chased afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import Role, User
from escalation.services.delivery import brand_language
from playbooks import events, notifications
from playbooks.choices import IncidentRole
from playbooks.incident_selectors import crisis_role_holder
from playbooks.models import ACTIVE_CRISIS_STATUSES, ChecklistItem, CrisisEventKind, CrisisNotificationKind
from playbooks.services.common import display_name
from playbooks.services.timeline import crisis_event_add

REMIND_BEFORE = timedelta(minutes=10)
ESCALATE_AFTER = timedelta(minutes=15)
CHASE_BATCH = 200
SOON, DUE, OVERDUE = "soon", "due", "overdue"


@dataclass(frozen=True)
class Moment:
    """One of a step's three moments: which steps it is due for, and the stamps that claim it."""

    stage: str
    due: Q
    stamps: dict[str, Any]


def _moments(now: datetime) -> list[Moment]:
    open_step = Q(done_at__isnull=True, due_at__isnull=False)
    assigned = Q(assignee__isnull=False)
    return [
        Moment(
            SOON,
            open_step & assigned & Q(reminded_soon_at__isnull=True, due_at__gt=now, due_at__lte=now + REMIND_BEFORE),
            {"reminded_soon_at": now},
        ),
        Moment(
            DUE,
            open_step & assigned & Q(reminded_due_at__isnull=True, due_at__lte=now),
            # Late for "soon" (the beat was down): "due now" says it all.
            {
                "reminded_due_at": now,
                "reminded_soon_at": Coalesce("reminded_soon_at", Value(now, output_field=DateTimeField())),
            },
        ),
        Moment(
            OVERDUE, open_step & Q(escalated_at__isnull=True, due_at__lte=now - ESCALATE_AFTER), {"escalated_at": now}
        ),
    ]


def _escalation_people(item: ChecklistItem) -> list[User]:
    """The lead; the owner when the lead is the assignee (or there is none); then the directors."""
    assignee = item.assignee_id
    lead = crisis_role_holder(crisis_id=item.crisis_id, role=IncidentRole.LEAD)
    for candidate in (lead, item.crisis.owner_id):
        if candidate is not None and candidate != assignee:
            person = User.objects.filter(pk=candidate, is_active=True).first()
            if person is not None:
                return [person]
    directors = User.objects.filter(role=Role.DIRECTOR, is_active=True).order_by("pk")
    return list(directors.exclude(pk=assignee) if assignee is not None else directors)


def _message(item: ChecklistItem, *, stage: str) -> tuple[str, str]:
    """The subject and body of one message, in the active language."""
    subjects = {
        SOON: _("Due in %(minutes)s minutes: %(step)s"),
        DUE: _("Due now: %(step)s"),
        OVERDUE: _("Overdue, escalated to you: %(step)s"),
    }
    due = timezone.localtime(item.due_at).strftime("%H:%M") if item.due_at else "—"
    subject = subjects[stage] % {"minutes": int(REMIND_BEFORE.total_seconds() // 60), "step": item.text}
    lines = [
        _("Crisis: %(title)s") % {"title": item.crisis.title},
        _("Step: %(step)s") % {"step": item.text},
        _("Due at %(time)s") % {"time": due},
        _("Assigned to: %(person)s") % {"person": display_name(item.assignee)}
        if item.assignee_id
        else _("Nobody is assigned to this step."),
        "",
        f"{settings.PUBLIC_BASE_URL}/crises/{item.crisis_id}/",
    ]
    return subject, "\n".join(lines)


def _record(item: ChecklistItem, *, stage: str, people: list[User]) -> list[int]:
    """One e-mail per person, each in their language (inside the claim's transaction)."""
    kind = CrisisNotificationKind.OVERDUE if stage == OVERDUE else CrisisNotificationKind.REMINDER
    ids: list[int] = []
    for person in people:
        with translation.override(person.language or brand_language()):
            subject, body = _message(item, stage=stage)
        ids += notifications.crisis_notifications_record(
            crisis=item.crisis, kind=kind, recipients=[person], subject=subject, body=body
        )
    return ids


def _chase_one(*, item_id: int, moment: Moment, now: datetime) -> int:
    """Claim one step's moment and record its messages; 0 when another run claimed it first."""
    with transaction.atomic():
        if not ChecklistItem.objects.filter(moment.due, pk=item_id).update(**moment.stamps):
            return 0
        item = ChecklistItem.objects.select_related("crisis__owner", "assignee").get(pk=item_id)
        people = [item.assignee] if moment.stage != OVERDUE and item.assignee else _escalation_people(item)
        notifications.crisis_notifications_send_on_commit(_record(item, stage=moment.stage, people=people))
        events.publish_to_users([person.pk for person in people], events.checklist_reminder(item, stage=moment.stage))
        if moment.stage == OVERDUE:
            crisis_event_add(
                crisis=item.crisis,
                kind=CrisisEventKind.CHECKLIST,
                key="checklist.escalated",
                params={"person": ", ".join(display_name(person) for person in people) or "—", "step": item.text},
                at=now,
                data={"item": item.pk, "to": [person.pk for person in people]},
            )
        audit_record(
            actor=None, verb=f"checklist.{moment.stage}", target=item, data={"to": [person.pk for person in people]}
        )
        return len(people)


def checklist_chase(*, now: datetime | None = None) -> int:
    """Beat: remind and escalate the open steps of active crises whose moment has come, each exactly once
    even with two beats or workers running. Returns how many people were told."""
    now = now or timezone.now()
    told = 0
    for moment in _moments(now):
        due = (
            ChecklistItem.objects.filter(moment.due, crisis__status__in=ACTIVE_CRISIS_STATUSES)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:CHASE_BATCH]
        )
        told += sum(_chase_one(item_id=pk, moment=moment, now=now) for pk in list(due))
    return told
