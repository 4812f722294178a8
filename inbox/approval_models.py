"""Reply approvals during a serious crisis: the one policy, and each held reply's request for a second person.

Imported at the end of `inbox.models`, so these are models of the inbox app like the others. The rule is
read when a reply is queued (`inbox.services.approvals`); what it decided is copied onto the request, so a
later edit of the rule never changes who may approve a reply already waiting, nor its time limit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.models import Role

RULE_ID = 1
APPROVER_ROLE_CHOICES = [
    (Role.COMMUNITY_MANAGER, _("Community managers")),
    (Role.DIRECTOR, _("Directors")),
    (Role.ADMIN, _("Administrators")),
]


def default_approver_roles() -> list[str]:
    return [Role.DIRECTOR, Role.ADMIN]


class ApprovalDecision(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    EDITED = "edited", _("Edited and approved")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired: nobody decided in time")
    WITHDRAWN = "withdrawn", _("Withdrawn by its author")


class ApprovalReason(models.TextChoices):
    NEW_STARTER = "new_starter", _("its author's replies need approval during a crisis")
    RISKY_PHRASE = "risky_phrase", _("it contains a risky phrase")


class ReplyApprovalRule(models.Model):
    """The organisation's one approval policy (row 1, created with its defaults on first read)."""

    enabled = models.BooleanField(_("approvals on"), default=True)
    minimum_crisis_level = models.PositiveSmallIntegerField(_("from crisis level"), default=2)
    new_starters = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("community managers whose replies wait")
    )
    # One phrase per line (matched as whole words, without case or accents); a line "re: …" is a pattern.
    risky_patterns = models.TextField(_("risky phrases"), blank=True)
    approver_roles = models.JSONField(_("roles that approve"), default=default_approver_roles, blank=True)
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("named approvers")
    )
    crisis_owner_approves = models.BooleanField(_("the crisis owner approves"), default=True)
    time_limit_minutes = models.PositiveSmallIntegerField(_("time limit (minutes)"), default=15)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("reply approval rule")

    def __str__(self) -> str:
        return f"Reply approvals from level {self.minimum_crisis_level}"


class ReplyApproval(models.Model):
    """One held reply's request: why it waits, who may decide (copied from the rule), until when, and the
    decision. The reply's own state (`pending_approval` …) is what the sender obeys; this row is its story."""

    reply = models.OneToOneField("inbox.Reply", on_delete=models.CASCADE, related_name="approval")
    reasons = models.JSONField(default=list)  # [{"code": ApprovalReason, "detail": the phrase matched}]
    crisis_id = models.PositiveIntegerField(null=True, blank=True)
    crisis_title = models.CharField(max_length=200, blank=True)
    crisis_level = models.PositiveSmallIntegerField(default=0)
    approver_roles = models.JSONField(default=list)
    approver_ids = models.JSONField(default=list)
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    decision = models.CharField(max_length=12, choices=ApprovalDecision.choices, default=ApprovalDecision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    original_body = models.TextField(blank=True)  # what the author wrote, when an approver edited it

    class Meta:
        ordering = ["requested_at"]
        indexes = [models.Index(fields=["decision", "expires_at"], name="reply_approval_due")]

    def __str__(self) -> str:
        return f"Approval of reply {self.reply_id} ({self.decision})"

    @property
    def reason_labels(self) -> list[str]:
        """Each reason in the reader's language, with the phrase that matched."""
        labels = []
        for reason in self.reasons:
            label = str(ApprovalReason(reason["code"]).label) if reason.get("code") in ApprovalReason.values else ""
            detail = reason.get("detail") or ""
            labels.append(f"{label} (“{detail}”)" if detail else label)
        return labels
