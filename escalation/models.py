"""Departments, the policies that say who is told and when, and the requests that climb them.

Timers are columns (`next_action_at`, `reminder_at`, `due_at`) read by a sweeper, never only
countdowns in a queue; a request carries a snapshot of its policy so later edits do not change it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.text import validate_single_line

# Holding lines, the on-call schedule and inbound mail live in their own modules, imported so Django registers them.
from escalation.models_holding import HoldingLine as HoldingLine
from escalation.models_mail import InboundMail as InboundMail
from escalation.models_oncall import BusinessHours as BusinessHours
from escalation.models_oncall import OnCallMember as OnCallMember
from escalation.models_oncall import OnCallOverride as OnCallOverride
from escalation.models_oncall import OnCallRotation as OnCallRotation
from escalation.models_oncall import OutOfOffice as OutOfOffice

if TYPE_CHECKING:
    from escalation.silence import Silence

DEFAULT_LEVEL_FACTORS = {"0": 1.0, "1": 1.0, "2": 0.5, "3": 0.25}
DEFAULT_REMINDER_FRACTION = 0.75


def default_level_factors() -> dict[str, float]:
    return dict(DEFAULT_LEVEL_FACTORS)


class Department(models.Model):
    """An internal area that answers community managers' questions (Técnica, Jurídico…)."""

    name = models.CharField(max_length=80, unique=True, validators=[validate_single_line])
    slug = models.SlugField(max_length=40, unique=True)
    heads = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="headed_departments", blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="departments", blank=True)
    on_duty = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField(blank=True)
    chat_webhook_url = models.URLField(blank=True, help_text="Slack- or Teams-compatible incoming webhook.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EscalationPolicy(models.Model):
    """Who is told, in which order and after how long. One default per department, one global default."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="policies",
        help_text=_("Empty for the global policy."),
    )
    is_default = models.BooleanField(_("default"), default=False)
    answer_within_seconds = models.PositiveIntegerField(
        _("answer within (seconds)"),
        default=3600,
        help_text=_("The default deadline of a request at level 0."),
    )
    level_factors = models.JSONField(
        _("timing factor per crisis level"),
        default=default_level_factors,
        help_text=_(
            'Waits and deadlines are multiplied by this, e.g. {"0": 1, "1": 1, "2": 0.5, "3": 0.25}.'
        ),
    )
    reminder_fraction = models.FloatField(
        _("reminder at fraction of each wait"), default=DEFAULT_REMINDER_FRACTION
    )
    max_repeats = models.PositiveSmallIntegerField(
        _("maximum repeats"), default=3, help_text=_("How many times a final 'repeat last' step repeats.")
    )

    class Meta:
        verbose_name_plural = "escalation policies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["department"], condition=Q(is_default=True), name="policy_one_default_per_department"
            ),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True, department__isnull=True),
                name="policy_one_global_default",
            ),
            models.CheckConstraint(
                condition=Q(reminder_fraction__gt=0) & Q(reminder_fraction__lt=1),
                name="policy_reminder_fraction_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StepKind(models.TextChoices):
    NOTIFY_DEPARTMENT_OWNER = "notify_department_owner", _("Notify the department's person on duty")
    NOTIFY_HEADS = "notify_heads", _("Notify the department heads")
    NOTIFY_WHOLE_DEPARTMENT = "notify_whole_department", _("Notify the whole department")
    NOTIFY_USER = "notify_user", _("Notify a person")
    NOTIFY_ROLE_DIRECTORS = "notify_role_directors", _("Notify the directors")
    NOTIFY_DIRECTOR_GENERAL = "notify_director_general", _("Notify the director general")
    REPEAT_LAST = "repeat_last", _("Repeat the previous step")


class EscalationStep(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=32, choices=StepKind.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("person"),
    )
    wait_seconds = models.PositiveIntegerField(
        _("wait (seconds)"),
        help_text=_("How long this step waits for an acknowledgement before the next one."),
    )

    class Meta:
        ordering = ["policy", "order"]
        constraints = [models.UniqueConstraint(fields=["policy", "order"], name="step_unique_order")]

    def __str__(self) -> str:
        return f"{self.order}. {self.get_kind_display()}"


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


PENDING_STATUSES = (RequestStatus.OPEN, RequestStatus.ACKNOWLEDGED)


class EscalationRequest(models.Model):
    """A question to a department, raised from mentions or a crisis, with its deadline and its chain."""

    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalations_raised",
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="requests")
    question = models.TextField()
    context = models.JSONField(default=dict, blank=True)
    mentions = models.ManyToManyField("inbox.Mention", related_name="escalations", blank=True)
    crisis = models.ForeignKey(
        "playbooks.Crisis", null=True, blank=True, on_delete=models.SET_NULL, related_name="escalations"
    )
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    policy = models.ForeignKey(
        EscalationPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    policy_snapshot = models.JSONField(default=dict)
    current_step = models.PositiveSmallIntegerField(default=0)
    current_attempt = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField()
    next_action_at = models.DateTimeField(null=True, blank=True)
    reminder_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # An acknowledgement promises an answer by `promised_at`; the sweep re-escalates once if it passes.
    promised_at = models.DateTimeField(null=True, blank=True)
    holding_line = models.TextField(
        blank=True, help_text=_("What the community manager may publish while the department works on it.")
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Raised in a drill (`inbox.drills`): delivered to the real people, tagged "[DRILL]", out of the real figures.
    is_drill = models.BooleanField(default=False, db_default=False)

    # Not columns: what the viewing user may do on the card, set by `escalation.views` for its templates.
    may_answer: bool
    may_close: bool
    silence: Silence | None  # `escalation.silence.silence_attach`, pending requests only

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "next_action_at"], name="escalation_next_action"),
            models.Index(fields=["status", "reminder_at"], name="escalation_reminder"),
            models.Index(fields=["status", "due_at"], name="escalation_due"),
            models.Index(fields=["department", "status"], name="escalation_dept_status"),
            models.Index(fields=["status", "promised_at"], name="escalation_promise_due"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.department}"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_pending and self.due_at <= timezone.now()

    @property
    def step_count(self) -> int:
        return len(self.policy_snapshot.get("steps", []))


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    NOTIFIED = "notified", _("Notified")
    REMINDED = "reminded", _("Reminded")
    ESCALATED = "escalated", _("Escalated")
    OVERDUE = "overdue", _("Overdue")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    SNOOZED = "snoozed", _("Promised time changed")
    PROMISE_MISSED = "promise_missed", _("Promised time missed")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class EscalationEvent(models.Model):
    """The request's timeline, append-only."""

    request = models.ForeignKey(EscalationRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    step_index = models.PositiveSmallIntegerField(null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.request_id}"


class LinkUse(models.Model):
    """One action taken through a signed request link: inserted before acting, so each link acts once.

    `nonce` identifies the link (it is inside the signed value); unique with the action, so a link
    acknowledges at most once and answers at most once (`escalation.services.links`)."""

    request = models.ForeignKey(EscalationRequest, on_delete=models.CASCADE, related_name="link_uses")
    nonce = models.CharField(max_length=32)
    action = models.CharField(max_length=16)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["nonce", "action"], name="link_use_once")]

    def __str__(self) -> str:
        return f"{self.action} via link on #{self.request_id}"


class Answer(models.Model):
    request = models.ForeignKey(EscalationRequest, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    is_approved_wording = models.BooleanField(
        default=False, help_text=_("Approved wording community managers may use as a reply template.")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"answer #{self.pk} to #{self.request_id}"


class NotificationMedium(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Chat webhook")


class NotificationState(models.TextChoices):
    SENDING = "sending", _("Sending")
    RESENDING = "resending", _("Sending again")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class EscalationNotification(models.Model):
    """One message to one recipient for one step: claimed by INSERT before sending, so never sent twice.

    A send that fails stays "failed" with its error; while `retry_at` is set the sweeper tries it
    again (backoff, at most `escalation.services.chain.NOTIFY_MAX_TRIES` tries in all).
    """

    request = models.ForeignKey(EscalationRequest, on_delete=models.CASCADE, related_name="notifications")
    step_index = models.PositiveSmallIntegerField()
    attempt = models.PositiveSmallIntegerField(default=0)
    recipient = models.CharField(max_length=254)
    medium = models.CharField(max_length=10, choices=NotificationMedium.choices)
    state = models.CharField(
        max_length=10, choices=NotificationState.choices, default=NotificationState.SENDING
    )
    error = models.TextField(blank=True)
    tries = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # An e-mail's Message-ID, kept so that a reply's In-Reply-To or References names its request.
    message_id = models.CharField(max_length=255, blank=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "step_index", "attempt", "recipient", "medium"], name="notification_once"
            )
        ]
        indexes = [models.Index(fields=["state", "retry_at"], name="notification_retry_due")]

    def __str__(self) -> str:
        return f"{self.medium} to {self.recipient} (#{self.request_id} step {self.step_index})"
