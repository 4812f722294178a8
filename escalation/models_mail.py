"""Answers that arrive by e-mail: every inbound message is kept, answered or refused, with its reason.

One row per message (unique on its Message-ID): the same message delivered twice, by a provider's
retry or by the IMAP poll and a webhook both, records one answer. A refused message keeps its raw
text and the reason, so nothing a department head wrote is silently lost (the dead letters of mail).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InboundMailOutcome(models.TextChoices):
    ANSWERED = "answered", _("Recorded as the answer")
    REFUSED = "refused", _("Refused")


class InboundMail(models.Model):
    """One e-mail received in reply to an escalation notification, and what became of it."""

    message_id = models.CharField(max_length=255, unique=True)
    source = models.CharField(max_length=16)
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    request = models.ForeignKey(
        "escalation.EscalationRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answer = models.ForeignKey("escalation.Answer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=10, choices=InboundMailOutcome.choices)
    reason = models.CharField(max_length=32, blank=True)
    detail = models.TextField(blank=True)
    raw = models.TextField()
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source} mail from {self.sender}: {self.outcome}"
