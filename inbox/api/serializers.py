"""The API's serializers; the mention list's fast path (plain rows) lives in `inbox.api.plain_rows`."""

from __future__ import annotations

from rest_framework import serializers

from inbox.api.plain_rows import PlainAttributesMixin, PlainRowsListSerializer
from inbox.models import Author, Channel, Mention, Reply, ReplyApproval


class AuthorSerializer(PlainAttributesMixin, serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = [
            "id",
            "platform",
            "handle",
            "display_name",
            "followers",
            "verified",
            "mention_count",
            "complaint_count",
            "hidden_as_troll_count",
        ]


class ReplyApprovalSerializer(serializers.ModelSerializer):
    """Why a reply waited and what was decided; `reasons` are codes with the phrase matched."""

    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None)

    class Meta:
        model = ReplyApproval
        fields = [
            "decision",
            "reasons",
            "crisis_id",
            "crisis_level",
            "requested_at",
            "expires_at",
            "decided_by",
            "decided_at",
            "comment",
            "original_body",
        ]


class ReplySerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    approval = ReplyApprovalSerializer(read_only=True, default=None)

    class Meta:
        model = Reply
        fields = [
            "id",
            "mention",
            "author",
            "body",
            "signature",
            "state",
            "error",
            "attempts",
            "external_id",
            "created_at",
            "sent_at",
            "send_after",
            "cancelled_at",
            "approval",
        ]


class ReplyApproveSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=20000,
        required=False,
        allow_blank=True,
        trim_whitespace=True,
        help_text="A corrected text: edit and approve. Omitted approves it as written.",
    )
    confirm = serializers.BooleanField(
        default=False, help_text="Approve although the mention was answered, hidden or closed meanwhile."
    )


class ReplyRejectSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, allow_blank=False, trim_whitespace=True)


class MentionSerializer(PlainAttributesMixin, serializers.ModelSerializer):
    author = AuthorSerializer(read_only=True)
    channel = serializers.CharField(source="channel.kind", read_only=True)
    channel_name = serializers.CharField(source="channel.name", read_only=True)
    assignee = serializers.CharField(source="assignee.username", read_only=True, default=None)

    class Meta:
        model = Mention
        fields = [
            "id",
            "channel",
            "channel_name",
            "external_id",
            "conversation_id",
            "in_reply_to_external_id",
            "author",
            "text",
            "language",
            "url",
            "posted_at",
            "received_at",
            "sentiment",
            "sentiment_score",
            "category",
            "priority",
            "suggested_action",
            "suggested_department",
            "triage_reasons",
            "triage_tier",
            "status",
            "assignee",
            "is_hidden",
            "hidden_reason",
        ]
        list_serializer_class = PlainRowsListSerializer


class MentionDetailSerializer(MentionSerializer):
    replies = ReplySerializer(many=True, read_only=True)

    class Meta(MentionSerializer.Meta):
        fields = MentionSerializer.Meta.fields + ["replies"]


class AssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(
        required=False, allow_null=True, help_text="A community manager's user id; omitted means me, null unassigns."
    )


class ReplyCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000, allow_blank=False, trim_whitespace=True)
    take_over = serializers.BooleanField(default=False)


class HideSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, allow_blank=False, trim_whitespace=True)
    as_troll = serializers.BooleanField(default=False)


class TriageBacklogSerializer(serializers.Serializer):
    """The refine queue's figures (inbox.triage.selectors.TriageBacklog)."""

    pending = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    oldest_wait_seconds = serializers.FloatField(allow_null=True)
    shed_last_hour = serializers.IntegerField()
    bound = serializers.IntegerField()
    shed_below_priority = serializers.IntegerField()
    over_bound = serializers.BooleanField()
    pending_by_channel = serializers.DictField(child=serializers.IntegerField())


class ChannelHealthSerializer(serializers.ModelSerializer):
    """Health only: credentials are never part of any response."""

    is_healthy = serializers.BooleanField(read_only=True)

    class Meta:
        model = Channel
        fields = [
            "id",
            "name",
            "kind",
            "brand",
            "is_enabled",
            "poll_interval_seconds",
            "last_polled_at",
            "last_success_at",
            "last_error",
            "last_error_at",
            "consecutive_failures",
            "next_poll_at",
            "is_healthy",
        ]
