"""Crises, the alerts that announce them, and the playbooks that say how to handle them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from crisisdesk.text import validate_single_line
from inbox.drills import is_drill_brand
from playbooks.choices import (
    AlertAcknowledgedVia,
    AlertChannel,
    AlertSignal,
    AlertStatus,
    ApprovalMode,
    CrisisEventKind,
    CrisisLevel,
    CrisisNotificationKind,
    CrisisNotificationState,
    CrisisStatus,
    CrisisType,
    RevisionStatus,
    StatementStatus,
)
from playbooks.timeline_texts import timeline_text_render

OPEN_CRISIS_STATUSES = (CrisisStatus.DETECTED, CrisisStatus.DECLARED, CrisisStatus.CONTAINED)
ACTIVE_CRISIS_STATUSES = (CrisisStatus.DECLARED, CrisisStatus.CONTAINED)


class Playbook(models.Model):
    """What to do for one crisis type at one level; its content lives in numbered versions."""

    crisis_type = models.CharField(max_length=16, choices=CrisisType.choices)
    level = models.PositiveSmallIntegerField(choices=CrisisLevel.choices)
    name = models.CharField(max_length=160)

    class Meta:
        ordering = ["crisis_type", "level"]
        constraints = [
            models.UniqueConstraint(fields=["crisis_type", "level"], name="playbook_unique_type_level")
        ]

    def __str__(self) -> str:
        return self.name


class PlaybookVersion(models.Model):
    """An immutable edition of a playbook. Crises point at the version they ran."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["playbook", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["playbook", "number"], name="playbook_version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.playbook} v{self.number}"


class Crisis(models.Model):
    title = models.CharField(max_length=200, validators=[validate_single_line])
    brand = models.CharField(max_length=80, default="default")
    crisis_type = models.CharField(max_length=16, choices=CrisisType.choices)
    level = models.PositiveSmallIntegerField(choices=CrisisLevel.choices, default=CrisisLevel.WATCH)
    status = models.CharField(max_length=12, choices=CrisisStatus.choices, default=CrisisStatus.DETECTED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mentions = models.ManyToManyField("inbox.Mention", related_name="crises", blank=True)
    detected_at = models.DateTimeField(auto_now_add=True)
    declared_at = models.DateTimeField(null=True, blank=True)
    contained_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    playbook_version = models.ForeignKey(
        PlaybookVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="crises"
    )
    playbook_content = models.JSONField(default=dict, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    last_summary_at = models.DateTimeField(null=True, blank=True)
    review_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-detected_at"]
        verbose_name_plural = "crises"

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_CRISIS_STATUSES

    @property
    def is_drill(self) -> bool:
        """A crisis declared in a drill's workspace (its brand is the drill's)."""
        return is_drill_brand(self.brand)


class CrisisEvent(models.Model):
    """One line of a crisis timeline: append-only, in the order things happened.

    Stored as a message key with parameters and rendered in the reader's language (`text`);
    `message` keeps the English sentence, and is all that entries older than keys have.
    """

    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=CrisisEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(max_length=500)
    message_key = models.CharField(max_length=64, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["crisis", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message[:60]}"

    @property
    def text(self) -> str:
        """The entry in the active language (the reader's); old free-text entries as they were written."""
        return timeline_text_render(self.message_key, self.params, fallback=self.message)


class Statement(models.Model):
    """A public statement written during a crisis; it needs the playbook's approvers before it goes out."""

    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="statements")
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=StatementStatus.choices, default=StatementStatus.PENDING)
    approval_mode = models.CharField(max_length=3, choices=ApprovalMode.choices, default=ApprovalMode.ANY)
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    posts = models.ManyToManyField("inbox.ScheduledPost", related_name="statements", blank=True)

    # Not stored: set for the person viewing the crisis room (`playbooks.views.crises`).
    needs_approver: bool
    can_decide: bool
    approver_states: list[Any]

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.body[:60]}"


class StatementDecision(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="decisions")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved = models.BooleanField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "approver"], name="statement_decision_once_per_approver"
            )
        ]

    def __str__(self) -> str:
        return f"{'approved' if self.approved else 'sent back'} by {self.approver_id}"


class Alert(models.Model):
    """A signal that left its baseline. One open alert per brand, signal and topic while it lasts."""

    brand = models.CharField(max_length=80)
    signal = models.CharField(max_length=16, choices=AlertSignal.choices)
    topic = models.CharField(max_length=80, blank=True, default="")
    status = models.CharField(max_length=8, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    severity = models.PositiveSmallIntegerField()
    observed = models.FloatField()
    baseline_mean = models.FloatField()
    baseline_std = models.FloatField()
    threshold = models.FloatField()
    suggested_level = models.PositiveSmallIntegerField(choices=CrisisLevel.choices)
    suggested_type = models.CharField(max_length=16, choices=CrisisType.choices)
    explanation = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    crisis = models.ForeignKey(
        Crisis, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    # Someone took it (from the console, the message's link or its Slack button): re-notification stops.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_via = models.CharField(max_length=8, choices=AlertAcknowledgedVia.choices, blank=True)
    acknowledged_label = models.CharField(max_length=120, blank=True)  # who, when not a user (a Slack name)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "signal", "topic"],
                condition=Q(status="open"),
                name="alert_one_open_per_signal",
            )
        ]
        indexes = [models.Index(fields=["brand", "signal", "topic", "closed_at"])]

    def __str__(self) -> str:
        return f"{self.brand} {self.signal} {self.topic or '*'} ({self.severity})"

    @property
    def is_drill(self) -> bool:
        return is_drill_brand(self.brand)

    @property
    def suggested_title(self) -> str:
        """What the declaration form proposes to call a crisis declared from this alert."""
        return " · ".join(part for part in (str(self.get_signal_display()), self.topic) if part)


class PlaybookRevision(models.Model):
    """A case the manual did not foresee, found in a crisis review or a drill, proposed as a new playbook step."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="revisions")
    crisis = models.ForeignKey(
        Crisis, null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions"
    )
    drill = models.ForeignKey(
        "playbooks.Drill", null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions"
    )
    base_version = models.ForeignKey(PlaybookVersion, on_delete=models.PROTECT, related_name="+")
    case = models.TextField()
    change = models.JSONField()
    status = models.CharField(max_length=10, choices=RevisionStatus.choices, default=RevisionStatus.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    resulting_version = models.ForeignKey(
        PlaybookVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.playbook} · {self.case[:60]}"


class CrisisNotification(models.Model):
    """One crisis or alert message to one recipient by one channel, written before it is sent.

    A send that fails stays here as failed, with its error and the time of its next try, so it is
    retried with backoff a bounded number of times and is in sight (admin, crisis room) meanwhile.
    An alert's rows are unique per alert, step, recipient and channel: a message is sent once.
    """

    crisis = models.ForeignKey(
        Crisis, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=10, choices=CrisisNotificationKind.choices)
    medium = models.CharField(max_length=8, choices=AlertChannel.choices, default=AlertChannel.EMAIL)
    step = models.PositiveSmallIntegerField(default=0)
    # "user:<id>" for a person, "route:<id>" for a route's chat channel (its URL is read at send time).
    recipient_key = models.CharField(max_length=40, blank=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    html = models.TextField(blank=True)
    payload = models.JSONField(null=True, blank=True)
    state = models.CharField(
        max_length=10, choices=CrisisNotificationState.choices, default=CrisisNotificationState.PENDING
    )
    tries = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_try_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "step", "recipient_key", "medium"],
                condition=Q(alert__isnull=False),
                name="alert_notification_once",
            )
        ]

    def __str__(self) -> str:
        about = f"alert #{self.alert_id}" if self.alert_id else f"crisis #{self.crisis_id}"
        return f"{self.kind} {self.medium} to {self.address or self.recipient_key} ({about}): {self.state}"


class PublishingSuspension(models.Model):
    """"Suspend scheduled content": while one is open no scheduled post goes out (organisation-wide).

    Declaring a crisis opens one with the crisis title as its reason; a person may open one with a
    reason of their own. Ending it releases nothing: each held post is released one at a time.
    """

    reason = models.CharField(max_length=300, validators=[validate_single_line])
    crisis = models.ForeignKey(
        Crisis, null=True, blank=True, on_delete=models.SET_NULL, related_name="publishing_suspensions"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reason} ({'ended' if self.ended_at else 'active'})"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


from playbooks.models_alerts import AlertDispatch, AlertRoute  # noqa: E402,F401  (kept in a module of their own)
from playbooks.models_checklist import ChecklistItem  # noqa: E402,F401
from playbooks.models_digest import WeeklyDigest, WeeklyDigestDelivery  # noqa: E402,F401  (the weekly digest)
from playbooks.models_drills import Drill, DrillStatus  # noqa: E402,F401
from playbooks.models_roles import CrisisRole  # noqa: E402,F401
