"""The brand's own scheduled posts: written, approved by a second person, published at their time.

Imported at the end of `inbox.models`, so these are models of the inbox app like the others. The
calendar, the approval and the suspension that holds them live in `playbooks` (it knows about crises).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledPostStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Waiting for approval")
    SCHEDULED = "scheduled", _("Scheduled")
    FROZEN = "frozen", _("Held: publishing suspended")  # the stored value predates the word "held"
    PUBLISHING = "publishing", _("Being published")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


# Still open to change: what is neither on its way nor out, nor withdrawn.
EDITABLE_POST_STATUSES = (
    ScheduledPostStatus.DRAFT,
    ScheduledPostStatus.PENDING,
    ScheduledPostStatus.SCHEDULED,
    ScheduledPostStatus.FROZEN,
    ScheduledPostStatus.FAILED,
)


class ScheduledPost(models.Model):
    """A brand post waiting for its time. Its author cannot approve it; a suspension holds it."""

    channel = models.ForeignKey("inbox.Channel", on_delete=models.PROTECT, related_name="scheduled_posts")
    body = models.TextField()
    scheduled_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=12, choices=ScheduledPostStatus.choices, default=ScheduledPostStatus.SCHEDULED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=128, blank=True)
    error = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scheduled_at"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="scheduled_post_due")]

    def __str__(self) -> str:
        return f"Post #{self.pk} at {self.scheduled_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_POST_STATUSES
