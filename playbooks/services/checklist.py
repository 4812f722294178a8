"""The crisis checklist: the playbook's steps, ticked by the crisis team as they are done."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from playbooks import events
from playbooks.errors import CrisisNotFound
from playbooks.models import ChecklistItem, CrisisEventKind
from playbooks.services.common import DECLARERS, role_require
from playbooks.services.timeline import crisis_event_add


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
            ChecklistItem.objects.select_for_update()
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
