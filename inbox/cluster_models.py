"""Crisis clusters: mentions saying the same thing on one channel, answered, hidden or assigned as one.

Imported at the end of `inbox.models`, so these are models of the inbox app like the others.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class ClusterStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class MentionCluster(models.Model):
    """Near-duplicate mentions of one brand on one channel, grouped live at ingest (`inbox.clusters`).

    `signature` is the MinHash of the first mention (the representative); `bands` are its LSH keys,
    GIN-indexed on PostgreSQL (migration 0007) so a batch finds its candidate clusters in one query.
    The counters are kept by the pipeline in bulk, one UPDATE per batch.
    """

    brand = models.CharField(max_length=80)
    channel = models.ForeignKey("inbox.Channel", on_delete=models.CASCADE, related_name="clusters", db_index=False)
    signature = ArrayField(models.BigIntegerField())
    bands = ArrayField(models.BigIntegerField())
    representative_text = models.TextField()
    sample_mention = models.ForeignKey(
        "inbox.Mention", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    mention_count = models.PositiveIntegerField(default=0)
    author_count = models.PositiveIntegerField(default=0)
    reach = models.BigIntegerField(default=0, help_text=_("Followers of the cluster's distinct authors."))
    negative = models.PositiveIntegerField(default=0)
    neutral = models.PositiveIntegerField(default=0)
    positive = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ClusterStatus.choices, default=ClusterStatus.OPEN)

    class Meta:
        indexes = [
            models.Index(fields=["channel", "-last_seen_at"], name="cluster_channel_recent"),
            models.Index(fields=["brand", "status", "-mention_count"], name="cluster_by_size"),
        ]

    def __str__(self) -> str:
        return f"Cluster #{self.pk} ({self.mention_count}): {self.representative_text[:60]}"

    @property
    def sentiment_mix(self) -> dict[str, int]:
        return {"negative": self.negative, "neutral": self.neutral, "positive": self.positive}


class MentionClusterAuthor(models.Model):
    """An author counted in a cluster's `author_count` and `reach`.

    The pipeline inserts a batch's (cluster, author) pairs with ON CONFLICT DO NOTHING and counts only
    the pairs it really inserted: the primary key decides, so concurrent batches count an author once
    without locking the cluster first or reading the cluster's mentions back.
    """

    pk = models.CompositePrimaryKey("cluster_id", "author_id")
    cluster = models.ForeignKey(MentionCluster, on_delete=models.CASCADE, related_name="+", db_index=False)
    author = models.ForeignKey("inbox.Author", on_delete=models.CASCADE, related_name="+", db_index=False)

    def __str__(self) -> str:
        return f"Author #{self.author_id} in cluster #{self.cluster_id}"


class MentionClusterTally(models.Model):
    """One batch's additions to one cluster, written inside the batch's transaction, folded after commit.

    Ingest never updates a cluster row itself: two workers joining the same cluster would queue on its
    row lock until each other's commit. Each batch appends tallies instead (no row is shared), and after
    the commit whoever takes the fold lock adds all pending tallies to the counters (`inbox.clusters`).
    """

    cluster = models.ForeignKey(MentionCluster, on_delete=models.CASCADE, related_name="+", db_index=False)
    mentions = models.PositiveIntegerField()
    negative = models.PositiveIntegerField()
    neutral = models.PositiveIntegerField()
    positive = models.PositiveIntegerField()
    sample_mention_id = models.BigIntegerField()
    author_ids = ArrayField(models.BigIntegerField())
    author_followers = ArrayField(models.BigIntegerField())
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"+{self.mentions} for cluster #{self.cluster_id}"


class ClusterActionKind(models.TextChoices):
    ANSWER = "answer", _("Answer")
    HIDE = "hide", _("Hide")
    ASSIGN = "assign", _("Assign")
    ESCALATE = "escalate", _("Escalate")


class ClusterAction(models.Model):
    """One thing a person did to a whole cluster, with its progress: total, sent (or done), failed."""

    cluster = models.ForeignKey(MentionCluster, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=10, choices=ClusterActionKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(blank=True)
    total = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=dict, blank=True, help_text=_("Per mention: done or the reason it failed."))
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} on cluster #{self.cluster_id}: {self.sent + self.failed}/{self.total}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class ClusterReplyState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ClusterReply(models.Model):
    """The one personalised reply an author gets when their cluster is answered, on their latest mention.

    Unique per (cluster, author): answering a cluster again replies only to authors not answered yet.
    `scheduled_at` spaces the sends within the channel's rate limit (`REPLY_RATE_LIMITS`); the rows still
    "scheduled" are the schedule the claim (`cluster_replies_send_due`) works from.
    """

    action = models.ForeignKey(ClusterAction, on_delete=models.CASCADE, related_name="replies")
    cluster = models.ForeignKey(MentionCluster, on_delete=models.CASCADE, related_name="+", db_index=False)
    channel = models.ForeignKey("inbox.Channel", on_delete=models.CASCADE, related_name="+", db_index=False)
    author = models.ForeignKey("inbox.Author", on_delete=models.PROTECT, related_name="+", db_index=False)
    mention = models.ForeignKey("inbox.Mention", on_delete=models.PROTECT, related_name="+", db_index=False)
    reply = models.ForeignKey("inbox.Reply", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    scheduled_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=ClusterReplyState.choices, default=ClusterReplyState.SCHEDULED)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "author"], name="cluster_reply_once_per_author")]
        indexes = [
            models.Index(fields=["channel", "-scheduled_at"], name="cluster_reply_channel_slot"),
            models.Index(fields=["action", "state"], name="cluster_reply_progress"),
            # The claim of due rows, every 5 s: only the rows still waiting for their slot.
            models.Index(
                fields=["scheduled_at"], name="cluster_reply_due", condition=models.Q(state=ClusterReplyState.SCHEDULED)
            ),
        ]

    def __str__(self) -> str:
        return f"Cluster reply to author {self.author_id} on mention {self.mention_id} ({self.state})"
