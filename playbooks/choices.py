"""The closed vocabularies of crises, alerts, statements and playbooks (labels translatable).

Apart from the models so that code which only needs a label (the timeline texts) can import them
without the models.
"""

from __future__ import annotations

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


class CrisisEventKind(models.TextChoices):
    ALERT = "alert", _("Alert")
    DECLARED = "declared", _("Declared")
    LEVEL = "level", _("Level change")
    STATUS = "status", _("Status change")
    CHECKLIST = "checklist", _("Checklist step")
    ESCALATION = "escalation", _("Escalation")
    STATEMENT = "statement", _("Statement")
    REPLY = "reply", _("Reply")
    POSTS = "posts", _("Scheduled posts")
    NOTE = "note", _("Note")
    ROLE = "role", _("Incident role")


class IncidentRole(models.TextChoices):
    """Who does what in one crisis (PagerDuty's and Dispatch's incident roles); approvers may be several."""

    LEAD = "lead", _("Crisis lead")
    SPOKESPERSON = "spokesperson", _("Spokesperson")
    APPROVER = "approver", _("Approver")
    SCRIBE = "scribe", _("Scribe")


class StatementStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Sent back")


class ApprovalMode(models.TextChoices):
    ANY = "any", _("Any one approver")
    ALL = "all", _("Every approver")


class AlertSignal(models.TextChoices):
    VOLUME = "volume", _("Volume")
    NEGATIVE_SHARE = "negative_share", _("Negative share")
    COMPLAINTS = "complaints", _("Complaints")
    HIGH_REACH = "high_reach", _("High-reach authors")
    REACH = "reach", _("Reach and engagement")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class RevisionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class CrisisNotificationKind(models.TextChoices):
    DECLARED = "declared", _("Crisis declared")
    SUMMARY = "summary", _("Executive summary")
    ALERT = "alert", _("Alert")
    REMINDER = "reminder", _("Checklist reminder")
    OVERDUE = "overdue", _("Overdue checklist step")


class CrisisNotificationState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class AlertChannel(models.TextChoices):
    """How an alert's message travels; the outgoing webhook event goes through `integrations`."""

    EMAIL = "email", _("E-mail")
    SLACK = "slack", _("Slack")
    TEAMS = "teams", _("Microsoft Teams")


class AlertAcknowledgedVia(models.TextChoices):
    CONSOLE = "console", _("Console")
    LINK = "link", _("Link in the message")
    SLACK = "slack", _("Slack button")
