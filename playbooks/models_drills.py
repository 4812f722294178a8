"""Drills: a past crisis replayed from the brand's own archive, faster, on a workspace of its own.

A drill copies the mentions stored for one brand over a window (a crisis's, or one chosen) onto a
drill channel (`inbox.drills`: its connector publishes nowhere), their times shifted to the drill's
start and divided by the compression. The beat feeds them as their compressed time comes, through
the normal ingestion, so triage, clusters and spike detection run as in reality, under the drill's
own brand. `fed_until`/`fed_last_id` are the feeder's cursor (a keyset over the source mentions),
moved in the same transaction as the copies it stored. When the drill ends its scores are kept in
`results` (`playbooks.drills`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MIN_COMPRESSION = 1.0
MAX_COMPRESSION = 120.0


class DrillStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    ENDED = "ended", _("Ended")


class Drill(models.Model):
    title = models.CharField(_("title"), max_length=200)
    brand = models.CharField(_("brand"), max_length=80, help_text=_("The brand whose archive is replayed."))
    source_crisis = models.ForeignKey(
        "playbooks.Crisis", null=True, blank=True, on_delete=models.SET_NULL, related_name="drills_replaying"
    )
    playbook = models.ForeignKey(
        "playbooks.Playbook", null=True, blank=True, on_delete=models.SET_NULL, related_name="drills"
    )
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    compression = models.FloatField(
        _("compression"), validators=[MinValueValidator(MIN_COMPRESSION), MaxValueValidator(MAX_COMPRESSION)]
    )
    # The workspace: a drill channel and the brand its mentions, rollups, alerts and crises carry.
    channel = models.OneToOneField(
        "inbox.Channel", null=True, blank=True, on_delete=models.PROTECT, related_name="drill"
    )
    workspace_brand = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=8, choices=DrillStatus.choices, default=DrillStatus.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fed_until = models.DateTimeField(null=True, blank=True)
    fed_last_id = models.BigIntegerField(default=0)
    replayed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "ends_at"], name="drill_running")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_running(self) -> bool:
        return self.status == DrillStatus.RUNNING
