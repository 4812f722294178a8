"""Crises and the playbooks that say how to handle them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CrisisType(models.TextChoices):
    INSTITUTIONAL = "institutional", _("Institutional")
    TECHNICAL = "technical", _("Technical")
    COMMERCIAL = "commercial", _("Commercial")


class CrisisLevel(models.IntegerChoices):
    NORMAL = 0, _("Normal")
    WATCH = 1, _("Watch")
    CRISIS = 2, _("Crisis")
    SEVERE = 3, _("Severe crisis")


class CrisisStatus(models.TextChoices):
    DETECTED = "detected", _("Detected")
    DECLARED = "declared", _("Declared")
    CONTAINED = "contained", _("Contained")
    RESOLVED = "resolved", _("Resolved")
    REVIEWED = "reviewed", _("Reviewed")


OPEN_CRISIS_STATUSES = (CrisisStatus.DETECTED, CrisisStatus.DECLARED, CrisisStatus.CONTAINED)


class Crisis(models.Model):
    title = models.CharField(max_length=200)
    brand = models.CharField(max_length=80, default="default")
    crisis_type = models.CharField(max_length=16, choices=CrisisType.choices)
    level = models.PositiveSmallIntegerField(choices=CrisisLevel.choices, default=CrisisLevel.WATCH)
    status = models.CharField(max_length=12, choices=CrisisStatus.choices, default=CrisisStatus.DETECTED)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    mentions = models.ManyToManyField("inbox.Mention", related_name="crises", blank=True)
    detected_at = models.DateTimeField(auto_now_add=True)
    declared_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-detected_at"]
        verbose_name_plural = "crises"

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"
