"""The inbox: monitored channels, the people who write to us, their mentions and our replies."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    X = "x", "X"
    MASTODON = "mastodon", "Mastodon"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    RSS = "rss", "RSS/Atom"
    WEBHOOK = "webhook", _("Generic webhook")
    SIMULATOR = "simulator", _("Simulator")
    BLUESKY = "bluesky", "Bluesky"
    DISCOURSE = "discourse", _("Discourse forum")
    YOUTUBE = "youtube", "YouTube"
    THREADS = "threads", "Threads"
    GOOGLE_BUSINESS = "google_business", _("Google Business Profile")
    APP_STORE = "appstore", "App Store"
    GOOGLE_PLAY = "googleplay", "Google Play"
    # A drill's workspace (`inbox.drills`): past mentions replayed; its connector publishes nowhere.
    DRILL = "drill", _("Drill")


PUSH_ONLY_KINDS = (ChannelKind.FACEBOOK, ChannelKind.INSTAGRAM, ChannelKind.WEBHOOK)


class Channel(models.Model):
    """A monitored account or source. Credentials are encrypted at rest and never shown back."""

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    brand = models.CharField(max_length=80, default="default")
    base_url = models.URLField(blank=True, help_text=_("API root, instance or feed URL."))
    config = models.JSONField(default=dict, blank=True, help_text=_("Account id, search query and other options."))
    credentials_encrypted = models.TextField(blank=True, editable=False)
    signature_template = models.CharField(max_length=60, default="— {name}")
    is_enabled = models.BooleanField(default=True)
    poll_interval_seconds = models.PositiveIntegerField(default=60)
    cursor = models.JSONField(default=dict, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="channel_unique_kind_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def is_healthy(self) -> bool:
        return self.consecutive_failures == 0


class Author(models.Model):
    """Someone who wrote to or about us on one platform, with their history with the brand."""

    platform = models.CharField(max_length=16, choices=ChannelKind.choices)
    external_id = models.CharField(max_length=128)
    handle = models.CharField(max_length=128, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    followers = models.PositiveIntegerField(default=0)
    verified = models.BooleanField(default=False)
    account_created_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    mention_count = models.PositiveIntegerField(default=0)
    complaint_count = models.PositiveIntegerField(default=0)
    hidden_as_troll_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "external_id"], name="author_unique_platform_id")]

    def __str__(self) -> str:
        return f"@{self.handle or self.external_id}"


class MentionStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    REPLIED = "replied", _("Replied")
    ESCALATED = "escalated", _("Escalated")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (MentionStatus.NEW, MentionStatus.ASSIGNED, MentionStatus.ESCALATED)


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


class Category(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    QUESTION = "question", _("Question")
    PRAISE = "praise", _("Praise")
    TROLL = "troll", _("Troll / abuse")
    SPAM = "spam", _("Spam")
    OTHER = "other", _("Other")


class SuggestedAction(models.TextChoices):
    REPLY = "reply", _("Reply")
    ESCALATE = "escalate", _("Escalate")
    CUSTOMER_SERVICE = "customer_service", _("Hand off to customer service")
    IGNORE = "ignore", _("Do not feed: ignore or hide")
    WATCH = "watch", _("Watch")


class TriageRefine(models.TextChoices):
    """Where a mention stands in the model tier's refine queue; blank once refined or never asked."""

    PENDING = "pending", _("Waiting for the model tier")
    SHED = "shed", _("Model skipped: backlog")


class NetworkHiddenState(models.TextChoices):
    """Where hiding (or showing again) stands on the network itself; blank until someone hides."""

    PENDING = "pending", _("Pending on the network")
    SYNCING = "syncing", _("In progress on the network")
    DONE = "done", _("Done on the network")
    FAILED = "failed", _("Failed on the network")
    UNSUPPORTED = "unsupported", _("Not supported by the network")


class Mention(models.Model):
    """One public message about the brand. It is never deleted: it can only be hidden."""

    # Every index is written on each of thousands of inserts a second, so none is kept twice: the
    # channel is the prefix of the unique key and the thread index, received_at leads mention_recent,
    # the assignee leads mention_assignee.
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="mentions", db_index=False)
    external_id = models.CharField(max_length=128)
    conversation_id = models.CharField(max_length=128, blank=True)
    in_reply_to_external_id = models.CharField(max_length=128, blank=True)
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="mentions")
    text = models.TextField()
    language = models.CharField(max_length=8, blank=True)
    url = models.URLField(max_length=500, blank=True)
    posted_at = models.DateTimeField()
    received_at = models.DateTimeField()
    raw = models.JSONField(default=dict, blank=True)

    sentiment = models.CharField(max_length=16, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    category = models.CharField(max_length=16, choices=Category.choices, blank=True)
    priority = models.PositiveSmallIntegerField(default=0)
    suggested_action = models.CharField(max_length=20, choices=SuggestedAction.choices, blank=True)
    suggested_department = models.CharField(max_length=64, blank=True)
    triage_reasons = models.JSONField(default=list, blank=True)
    triage_tier = models.CharField(max_length=16, blank=True)
    # The refine queue lives here, not in the broker (inbox/triage/backlog.py): pending rows are claimed by
    # priority, a claim is a lease until `triage_refine_claimed_until`, and low priority is shed over a bound.
    triage_refine = models.CharField(max_length=8, choices=TriageRefine.choices, blank=True, default="", db_default="")
    triage_refine_claimed_until = models.DateTimeField(null=True, blank=True)
    # The model tier's probability for the category; NULL when rules decided (the fast tier, or a rule).
    triage_confidence = models.FloatField(null=True, blank=True)
    # Likes, reposts, replies the network reported (X public_metrics and the like): reach-weighted detection.
    engagement = models.PositiveIntegerField(default=0, db_default=0)

    status = models.CharField(max_length=16, choices=MentionStatus.choices, default=MentionStatus.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_mentions",
        db_index=False,
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=200, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    # Set in the ingestion insert itself (`inbox.clusters.clusters_plan`), so a row is written once.
    cluster = models.ForeignKey(
        "inbox.MentionCluster",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mentions",
        db_index=False,
    )
    # Defaults live in the database too: the ingestion INSERT names only the columns a new mention fills.
    hidden_as_troll = models.BooleanField(default=False, db_default=False)
    # Hidden in the console at once; on the network after commit, by a task (see NetworkHiddenState).
    network_hidden_state = models.CharField(
        max_length=12, choices=NetworkHiddenState.choices, blank=True, default="", db_default=""
    )
    network_hidden_error = models.CharField(max_length=500, blank=True, default="", db_default="")
    # When the state last became pending or syncing: the sweeper finishes what a lost task left.
    network_hidden_changed_at = models.DateTimeField(null=True, blank=True)
    # A community manager chose to answer a mention hidden as troll (audited as "mention.reply_anyway").
    troll_reply_override = models.BooleanField(default=False, db_default=False)
    # Filled by the ingestion insert on PostgreSQL (config "simple"); NULL elsewhere, where search falls back.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="mention_unique_channel_external_id")
        ]
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="mention_recent"),
            # One status in the work queue's order (priority, then waiting longest): replied and closed history too.
            models.Index(fields=["status", "-priority", "received_at", "id"], name="mention_queue"),
            # The work queue's default order (priority, then waiting longest) over what it shows by default.
            models.Index(
                fields=["-priority", "received_at", "id"],
                name="mention_work_queue",
                condition=models.Q(status__in=OPEN_STATUSES, is_hidden=False),
            ),
            models.Index(fields=["assignee", "status"], name="mention_assignee"),
            # A conversation in its order: an escalation's context reads its first 20 (a viral post has 60,000).
            models.Index(fields=["channel", "conversation_id", "posted_at", "id"], name="mention_thread"),
            models.Index(fields=["hidden_by"], name="mention_hidden_by", condition=models.Q(hidden_by__isnull=False)),
            # The cluster's members, one reply per author (`cluster_answer`), its reach; also the FK's index.
            models.Index(fields=["cluster", "author"], name="mention_cluster_author"),
            # The model tier's refine queue (highest priority first) and the shed ones (counted by time).
            models.Index(
                fields=["-priority", "id"], name="mention_refine_queue", condition=models.Q(triage_refine="pending")
            ),
            models.Index(fields=["received_at"], name="mention_refine_shed", condition=models.Q(triage_refine="shed")),
            models.Index(
                fields=["network_hidden_changed_at"],
                name="mention_network_hide_open",
                condition=models.Q(network_hidden_state__in=["pending", "syncing"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel.kind}:{self.external_id}"


class ReplyState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    # During a serious crisis some replies wait for a second person (inbox/approval_models.py).
    PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
    REJECTED = "rejected", _("Rejected")
    APPROVAL_EXPIRED = "approval_expired", _("Approval expired")


class Reply(models.Model):
    """A public answer from a community manager, signed with their name."""

    mention = models.ForeignKey(Mention, on_delete=models.PROTECT, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="replies")
    body = models.TextField()
    signature = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=20, choices=ReplyState.choices, default=ReplyState.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    external_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The undo window: nothing is sent before this moment, and until then the author may cancel.
    send_after = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "replies"

    def __str__(self) -> str:
        return f"Reply #{self.pk} to {self.mention_id} ({self.state})"

    @property
    def signed_body(self) -> str:
        return f"{self.body}\n{self.signature}" if self.signature else self.body


class DeadLetter(models.Model):
    """An incoming item that could not be stored, kept with the reason so nothing is silently lost."""

    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=32)
    reason = models.TextField()
    payload = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source}: {self.reason[:60]}"


class Intake(models.Model):
    """A batch exactly as it arrived, written to PostgreSQL before the sender is answered.

    The broker's message carries only this row's id. A message lost with Redis or with a killed worker
    costs a delay, never the batch: the sweeper queues again any row not processed in time, and the
    row is marked processed in the same transaction as the mentions it produced.
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=32)
    body = models.BinaryField()
    body_sha256 = models.CharField(max_length=64)
    # The Celery task id of a batch that arrived as a task with its items: a redelivered message finds its row.
    delivery_key = models.CharField(max_length=64, blank=True, default="")
    received_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["delivery_key"], condition=~models.Q(delivery_key=""), name="intake_unique_delivery_key"
            )
        ]
        indexes = [
            models.Index(fields=["queued_at"], condition=models.Q(processed_at__isnull=True), name="intake_pending"),
            models.Index(fields=["processed_at"], condition=models.Q(processed_at__isnull=False), name="intake_done"),
            models.Index(fields=["channel", "body_sha256"], name="intake_replay"),
        ]

    def __str__(self) -> str:
        state = "processed" if self.processed_at else "pending"
        return f"Intake #{self.pk} {self.source} ({state})"


class LabelCorrection(models.Model):
    """A community manager's correction of a triage label; exported as extra training rows."""

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="label_corrections")
    field = models.CharField(max_length=20)
    old_value = models.CharField(max_length=40, blank=True)
    new_value = models.CharField(max_length=40)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"


from inbox.approval_models import ApprovalDecision, ReplyApproval, ReplyApprovalRule  # noqa: E402,F401
from inbox.cluster_models import (  # noqa: E402,F401  (models of this app, kept in a module of their own)
    ClusterAction,
    ClusterActionKind,
    ClusterReply,
    ClusterReplyState,
    ClusterStatus,
    MentionCluster,
    MentionClusterAuthor,
    MentionClusterTally,
)
from inbox.models_cases import Case, CaseCounter, CaseDelivery  # noqa: E402,F401  (kept in a module of their own)
from inbox.models_rollups import MentionHourStat, MentionMinuteStat, MentionResponseStat  # noqa: E402,F401
from inbox.models_topics import BrandVocabulary  # noqa: E402,F401
from inbox.post_models import ScheduledPost, ScheduledPostStatus  # noqa: E402,F401  (kept in a module of their own)
from inbox.triage_models import TriageModelStatus, TriageModelTrigger, TriageModelVersion  # noqa: E402,F401
