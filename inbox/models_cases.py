"""Support cases: mentions handed off to customer service, and the deliveries that hand them off.

A mention that needs customer service (an invoice, a broken router, a parcel) is not the social team's
to solve: a community manager opens a case from it, answers the author privately where the network
allows, and the case goes to the helpdesk. A case has a human number (`CD-2026-000123`), allocated from
a per-year counter row locked FOR UPDATE, so two community managers opening cases at once never share one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

CASE_NUMBER_PREFIX = "CD"


class CaseType(models.TextChoices):
    BILLING = "billing", _("Billing")
    TECHNICAL = "technical", _("Technical")
    DELIVERY = "delivery", _("Delivery")
    COMPLAINT = "complaint", _("Complaint")
    OTHER = "other", _("Other")


class CasePriority(models.TextChoices):
    """The helpdesks' own four (Zendesk's names; Zammad's "1 low" … are mapped in `inbox.helpdesk`)."""

    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    HANDED_OFF = "handed_off", _("Handed off")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


ACTIVE_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.HANDED_OFF)


class CaseCounter(models.Model):
    """The last case number given out in a year; its row is locked while the next number is taken."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Case(models.Model):
    number = models.CharField(max_length=24, unique=True)
    case_type = models.CharField(max_length=16, choices=CaseType.choices, default=CaseType.OTHER)
    priority = models.CharField(max_length=8, choices=CasePriority.choices, default=CasePriority.NORMAL)
    status = models.CharField(max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    subject = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases")
    mentions = models.ManyToManyField("inbox.Mention", related_name="cases")
    # What the helpdesk answered: its ticket id (Zendesk's `ticket.id`, Zammad's `id`) and, where known, its number.
    helpdesk_ticket_id = models.CharField(max_length=64, blank=True)
    helpdesk_ticket_number = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="case_status_recent")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_CASE_STATUSES


class DeliveryKind(models.TextChoices):
    HELPDESK = "helpdesk", _("Helpdesk ticket")
    PRIVATE_REPLY = "private_reply", _("Private reply")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    DONE = "done", _("Delivered")
    DEAD = "dead", _("Failed")


class CaseDelivery(models.Model):
    """One hand-off of a case, an outbox row: the ticket to the helpdesk, or a private reply to an author.

    The beat claims due rows (`next_attempt_at`) with one conditional UPDATE; a failure is retried with
    backoff until `CASE_DELIVERY_MAX_ATTEMPTS`, then the row is dead and its error shows on the case page.
    A case has at most one helpdesk delivery (the constraint), so the ticket is created once.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=16, choices=DeliveryKind.choices)
    mention = models.ForeignKey("inbox.Mention", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(blank=True)
    state = models.CharField(max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    external_id = models.CharField(max_length=128, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(kind="helpdesk"), name="case_delivery_one_helpdesk"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="case_delivery_due",
                condition=models.Q(state__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.case_id} ({self.state})"
