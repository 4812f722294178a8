"""Outgoing webhooks: the endpoints other tools registered and the log of what each was sent.

The tables were created by the project package (crisisdesk, migration 0002) and keep their names.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from crisisdesk.models import User


class WebhookEvent(models.TextChoices):
    """The events an outgoing webhook may subscribe to; payload shapes are in `integrations.services`."""

    CRISIS_DECLARED = "crisis.declared", _("Crisis declared")
    CRISIS_LEVEL_CHANGED = "crisis.level_changed", _("Crisis level changed")
    CRISIS_RESOLVED = "crisis.resolved", _("Crisis resolved")
    ESCALATION_OVERDUE = "escalation.overdue", _("Escalation overdue")
    MENTION_PRIORITY_ABOVE = "mention.priority_above", _("Mention above a priority")
    ALERT_OPENED = "alert.opened", _("Alert opened")
    CASE_CREATED = "case.created", _("Case handed off to customer service")


class WebhookFormat(models.TextChoices):
    JSON = "json", _("JSON (signed)")
    SLACK = "slack", _("Slack-compatible")


class WebhookEndpoint(models.Model):
    """A URL outside Crisis Desk that is told about events, each POST signed with the endpoint's secret."""

    name = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text=_("Event types this endpoint receives."))
    secret = models.CharField(max_length=64, editable=False)
    format = models.CharField(max_length=8, choices=WebhookFormat.choices, default=WebhookFormat.JSON)
    min_priority = models.PositiveSmallIntegerField(
        default=80, help_text=_("For mention.priority_above: mentions at or above this priority (0–100).")
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    # The audit trail names endpoints as it did before the model moved here from crisisdesk.
    audit_target_type = "crisisdesk.webhookendpoint"

    class Meta:
        db_table = "crisisdesk_webhookendpoint"  # the table kept its name when the model left crisisdesk
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or self.url


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event for one endpoint: the exact body sent, and every attempt's outcome.

    `(endpoint, event_id)` is unique, so emitting the same event twice never delivers it twice.
    `next_attempt_at` is the retry timer; a sweeper acts on it if a queued retry is lost.
    """

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=64, choices=WebhookEvent.choices)
    event_id = models.UUIDField()
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "crisisdesk_webhookdelivery"  # the table kept its name when the model left crisisdesk
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhook_delivery_once_per_endpoint"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"
