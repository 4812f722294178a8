"""The directors' weekly digest: one row per ISO week (the unique key that makes it once a week, whatever
the number of beats), and one delivery per director, claimed before it is sent and retried when it fails."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WeeklyDigest(models.Model):
    """The digest of one ISO week ("2026-W48"), Monday 00:00 to the next Monday in the desk's time zone."""

    week = models.CharField(max_length=8, unique=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"Weekly digest {self.week}"


class WeeklyDigestDeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class WeeklyDigestDelivery(models.Model):
    """The digest's e-mail to one director: written with the digest, sent once (a conditional claim)."""

    digest = models.ForeignKey(WeeklyDigest, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    address = models.EmailField()
    state = models.CharField(
        max_length=8, choices=WeeklyDigestDeliveryState.choices, default=WeeklyDigestDeliveryState.PENDING
    )
    tries = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["digest", "id"]
        constraints = [
            models.UniqueConstraint(fields=["digest", "recipient"], name="weekly_digest_once_per_director")
        ]

    def __str__(self) -> str:
        return f"{self.digest.week} to {self.address}: {self.state}"
