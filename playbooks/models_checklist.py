"""A crisis's checklist: the playbook's steps copied onto it, each with a person and a due time."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from crisisdesk.models import Role
from playbooks.choices import IncidentRole


class ChecklistItem(models.Model):
    """A playbook step copied onto a crisis at declaration, with its own deadline."""

    crisis = models.ForeignKey("playbooks.Crisis", on_delete=models.CASCADE, related_name="checklist")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=500)
    responsible_role = models.CharField(max_length=32, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_by_hand = models.BooleanField(default=False)  # then naming a role does not take the step over
    # The chase's claims (`services/checklist_reminders.py`): each set once by one conditional UPDATE.
    reminded_soon_at = models.DateTimeField(null=True, blank=True)
    reminded_due_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["crisis", "position"]
        indexes = [models.Index(fields=["due_at"], condition=Q(done_at__isnull=True), name="checklist_open_due")]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_at is not None and self.due_at < timezone.now()

    @property
    def responsible_label(self) -> str:
        for choices in (Role, IncidentRole):
            if self.responsible_role in choices.values:
                return str(choices(self.responsible_role).label)
        return self.responsible_role
