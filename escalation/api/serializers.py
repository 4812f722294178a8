"""Escalation over HTTP: what goes out, and what comes in (validated here, decided by services)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from escalation.models import Answer, Department, EscalationEvent, EscalationRequest


class AnswerSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", default=None, read_only=True)

    class Meta:
        model = Answer
        fields = ["id", "text", "author", "is_approved_wording", "created_at"]


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True)

    class Meta:
        model = EscalationEvent
        fields = ["id", "kind", "step_index", "attempt", "actor", "data", "created_at"]


class EscalationRequestSerializer(serializers.ModelSerializer):
    department: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    raised_by = serializers.CharField(source="raised_by.username", default=None, read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = EscalationRequest
        fields = [
            "id",
            "department",
            "question",
            "status",
            "raised_by",
            "crisis",
            "current_step",
            "current_attempt",
            "due_at",
            "is_overdue",
            "next_action_at",
            "created_at",
            "acknowledged_at",
            "promised_at",
            "holding_line",
            "answered_at",
            "closed_at",
        ]


class EscalationRequestDetailSerializer(EscalationRequestSerializer):
    answers = AnswerSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)
    # With many=True DRF builds a ManyRelatedField, which the stubs do not model: annotate the common base.
    mention_ids: serializers.Field = serializers.PrimaryKeyRelatedField(
        source="mentions", many=True, read_only=True
    )

    class Meta(EscalationRequestSerializer.Meta):
        fields = EscalationRequestSerializer.Meta.fields + [
            "context",
            "policy_snapshot",
            "mention_ids",
            "answers",
            "events",
        ]


class EscalationCreateSerializer(serializers.Serializer):
    department = serializers.SlugRelatedField(slug_field="slug", queryset=Department.objects.all())
    question = serializers.CharField(max_length=4000)
    mention_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=200
    )
    crisis_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    due_at = serializers.DateTimeField(required=False, allow_null=True)


class AnswerCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=8000)
    is_approved_wording = serializers.BooleanField(required=False, default=False)


class AcknowledgeSerializer(serializers.Serializer):
    """An acknowledgement promises an answer time (future, within 7 days: the service checks)."""

    promised_at = serializers.DateTimeField(
        error_messages={
            "required": _("Say by when the department will answer (the promised time)."),
            "null": _("Say by when the department will answer (the promised time)."),
            "invalid": _("Write the promised time as an ISO 8601 date and time."),
        }
    )
    holding_line = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
