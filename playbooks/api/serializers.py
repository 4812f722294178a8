"""Crisis, alert and playbook payloads for the API."""

from __future__ import annotations

from rest_framework import serializers

from crisisdesk.text import validate_single_line
from inbox.models import Mention
from playbooks.models import Alert, ChecklistItem, Crisis, CrisisEvent, CrisisRole, CrisisType, Playbook


class ChecklistItemSerializer(serializers.ModelSerializer):
    assignee = serializers.CharField(source="assignee.username", default=None, read_only=True)

    class Meta:
        model = ChecklistItem
        fields = [
            "id", "position", "text", "responsible_role", "due_at", "done_at", "assignee_id", "assignee",
            "assigned_by_hand", "is_overdue",
        ]


class CrisisRoleSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = CrisisRole
        fields = ["role", "user_id", "username", "assigned_at"]


class CrisisEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None)
    message = serializers.CharField(source="text", read_only=True, help_text="In the reader's language.")

    class Meta:
        model = CrisisEvent
        fields = ["id", "kind", "message", "actor", "data", "created_at"]


class CrisisSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", default=None)
    playbook_version = serializers.IntegerField(source="playbook_version.number", default=None)

    class Meta:
        model = Crisis
        fields = [
            "id",
            "title",
            "brand",
            "crisis_type",
            "level",
            "status",
            "owner",
            "playbook_version",
            "detected_at",
            "declared_at",
            "contained_at",
            "resolved_at",
        ]


class CrisisDetailSerializer(CrisisSerializer):
    checklist = ChecklistItemSerializer(many=True, read_only=True)
    timeline = CrisisEventSerializer(source="events", many=True, read_only=True)
    mention_ids: serializers.PrimaryKeyRelatedField[Mention] = serializers.PrimaryKeyRelatedField(
        source="mentions", many=True, read_only=True
    )
    playbook = serializers.JSONField(source="playbook_content", read_only=True)
    roles = CrisisRoleSerializer(many=True, read_only=True)

    class Meta(CrisisSerializer.Meta):
        fields = [*CrisisSerializer.Meta.fields, "checklist", "timeline", "mention_ids", "playbook", "roles"]


class CrisisDeclareSerializer(serializers.Serializer):
    crisis_type = serializers.ChoiceField(choices=CrisisType.choices)
    level = serializers.IntegerField(min_value=1, max_value=3)
    title = serializers.CharField(max_length=200, validators=[validate_single_line])
    brand = serializers.CharField(max_length=80, required=False)
    alert_id = serializers.IntegerField(required=False)
    mention_ids = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=500)
    link_alert_mentions = serializers.BooleanField(required=False, default=True)
    another_wanted = serializers.BooleanField(
        required=False, default=False, help_text="Declare even while a crisis of the same brand and type is open."
    )


class CrisisLevelSerializer(serializers.Serializer):
    level = serializers.IntegerField(min_value=1, max_value=3)


class PlaybookSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="latest_number", read_only=True, default=None)

    class Meta:
        model = Playbook
        fields = ["id", "crisis_type", "level", "name", "version"]


class PlaybookDetailSerializer(PlaybookSerializer):
    content = serializers.SerializerMethodField()

    class Meta(PlaybookSerializer.Meta):
        fields = [*PlaybookSerializer.Meta.fields, "content"]

    def get_content(self, playbook) -> dict:
        version = playbook.versions.order_by("-number").first()
        return version.content if version else {}


class AlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = [
            "id",
            "brand",
            "signal",
            "topic",
            "status",
            "severity",
            "observed",
            "baseline_mean",
            "baseline_std",
            "threshold",
            "suggested_level",
            "suggested_type",
            "explanation",
            "started_at",
            "last_seen_at",
            "closed_at",
            "crisis",
        ]


class DashboardPointSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    per_minute = serializers.FloatField()
    negative = serializers.IntegerField()


class DashboardLevelSerializer(serializers.Serializer):
    brand = serializers.CharField()
    level = serializers.IntegerField()


class DashboardTopicSerializer(serializers.Serializer):
    topic = serializers.CharField()
    volume = serializers.IntegerField()
    negative = serializers.IntegerField()


class DashboardEscalationSerializer(serializers.Serializer):
    department = serializers.CharField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()


class DashboardRangeSerializer(serializers.Serializer):
    key = serializers.CharField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    bucket_minutes = serializers.IntegerField()


class DashboardChannelSerializer(serializers.Serializer):
    channel = serializers.CharField()
    kind = serializers.CharField()
    volume = serializers.IntegerField()
    negative_share = serializers.FloatField()


class DashboardFirstResponseSerializer(serializers.Serializer):
    p50_seconds = serializers.FloatField(allow_null=True)
    p90_seconds = serializers.FloatField(allow_null=True)
    answered = serializers.IntegerField()
    waiting = serializers.IntegerField(help_text="Mentions still unanswered, counted at their current age.")


class DashboardAlertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    brand = serializers.CharField()
    signal = serializers.CharField()
    topic = serializers.CharField(allow_blank=True)
    severity = serializers.IntegerField()
    started_at = serializers.DateTimeField()


class DashboardSerializer(serializers.Serializer):
    """The director dashboard's figures for a range (`?range=1h|6h|24h|7d|custom&from=&to=`), as the page shows."""

    generated_at = serializers.DateTimeField()
    range = DashboardRangeSerializer()
    levels = DashboardLevelSerializer(many=True)
    per_minute = DashboardPointSerializer(many=True)
    volume = serializers.IntegerField()
    sentiment_share = serializers.DictField(child=serializers.FloatField())
    top_topics = DashboardTopicSerializer(many=True)
    channels = DashboardChannelSerializer(many=True)
    first_response = DashboardFirstResponseSerializer()
    oldest_waiting_seconds = serializers.FloatField(allow_null=True)
    unanswered = serializers.IntegerField()
    escalations = DashboardEscalationSerializer(many=True)
    open_alerts = DashboardAlertSerializer(many=True)
