"""Versions of each brand's triage model, trained on its community managers' corrections.

Imported at the end of `inbox.models`, so this is a model of the inbox app like the others. The
weights live in the row itself (`artefact`: the same `model.npz` arrays the shipped model has, a
few tens of kilobytes; `meta`: its `model.json`), so every worker reads the same model from the
database and nothing is ever downloaded. The services are in `inbox/triage/versions.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TriageModelStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PREVIOUS = "previous", _("Previous (kept for rollback)")
    RETIRED = "retired", _("Retired")
    REJECTED = "rejected", _("Rejected")
    ROLLED_BACK = "rolled_back", _("Rolled back")


class TriageModelTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Nightly schedule")
    PAGE = "page", _("Triage model page")
    COMMAND = "command", _("Command line")


class TriageModelVersion(models.Model):
    """One trained model of one brand: what it learnt from, how it scored, and whether it is in use.

    At most one version per brand is active (a partial unique index) and at most one is previous.
    """

    brand = models.CharField(max_length=80)
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=TriageModelStatus.choices)
    trigger = models.CharField(max_length=10, choices=TriageModelTrigger.choices)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    trained_corrections = models.PositiveIntegerField()
    held_out_corrections = models.PositiveIntegerField()
    # {"candidate": {"sentiment": f1, "category": f1, "score": mean}, "active": {...}, "against": "v3" | "shipped"}
    metrics = models.JSONField(default=dict)
    reason = models.CharField(max_length=200, blank=True)
    meta = models.JSONField(default=dict)
    artefact = models.BinaryField()

    class Meta:
        ordering = ["brand", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["brand", "version"], name="triage_model_version_unique"),
            models.UniqueConstraint(
                fields=["brand"], condition=Q(status="active"), name="triage_model_one_active_per_brand"
            ),
            models.UniqueConstraint(
                fields=["brand"], condition=Q(status="previous"), name="triage_model_one_previous_per_brand"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand} v{self.version} ({self.status})"
