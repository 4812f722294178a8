"""Who holds which incident role in a crisis: one lead, one spokesperson, one scribe, any number of approvers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from playbooks.choices import IncidentRole

SINGLE_ROLES = (IncidentRole.LEAD, IncidentRole.SPOKESPERSON, IncidentRole.SCRIBE)


class CrisisRole(models.Model):
    """One person in one incident role of one crisis; the lead, spokesperson and scribe are one person each."""

    crisis = models.ForeignKey("playbooks.Crisis", on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=16, choices=IncidentRole.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField()

    class Meta:
        ordering = ["crisis", "role", "assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["crisis", "role", "user"], name="crisis_role_once_per_person"),
            models.UniqueConstraint(
                fields=["crisis", "role"],
                condition=Q(role__in=[role.value for role in SINGLE_ROLES]),
                name="crisis_role_single_holder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} of crisis #{self.crisis_id}: {self.user_id}"
