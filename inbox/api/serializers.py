from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject, RelatedField

from inbox.models import Author, Channel, Mention, Reply


class PlainAttributesMixin:
    """Represent a row by reading its plain attributes directly, with DRF's output.

    The mention list serialises 50 mentions with their authors per request; DRF's per-field
    `get_attribute` (callable checks, exception handling, field iteration) was most of that cost.
    Fields whose source is a chain of plain attributes are read with `getattr`; related fields,
    method fields, `source="*"` and a chain broken by a missing object go through DRF's own path.
    `tests/inbox/test_api.py` checks the output is the same as DRF's.
    """

    # Plans made only of plain fields, per serializer class: a ModelSerializer builds such fields from
    # its Meta alone, so one plan serves every request and the fields are not rebuilt for each.
    _shared_plans: ClassVar[dict[type, list[tuple[serializers.Field, list[str] | None]]]] = {}

    def to_representation(self, instance: Any) -> dict[str, Any]:
        plan = self._shared_plans.get(type(self)) or self.__dict__.get("_plain_plan")
        if plan is None:
            plan = self._plain_plan = [(field, _plain_source(field)) for field in self._readable_fields]
            if all(source is not None for _, source in plan):
                self._shared_plans[type(self)] = plan
        representation: dict[str, Any] = {}
        for field, source in plan:
            value = NOT_PLAIN if source is None else _read(instance, source)
            if value is NOT_PLAIN:
                _represent_as_drf(field, instance, representation)
            else:
                representation[field.field_name] = None if value is None else field.to_representation(value)
        return representation


NOT_PLAIN = object()


def _read(instance: Any, source: list[str]) -> Any:
    """The value at the end of a chain of attributes, or NOT_PLAIN when DRF's own rules must decide
    (a callable, a missing related object, None before the end of the chain)."""
    value = instance
    last = len(source) - 1
    try:
        for depth, attribute in enumerate(source):
            value = getattr(value, attribute)
            if callable(value) or (value is None and depth < last):
                return NOT_PLAIN
    except (AttributeError, ObjectDoesNotExist):
        return NOT_PLAIN
    return value


def _plain_source(field: serializers.Field) -> list[str] | None:
    if isinstance(field, RelatedField | serializers.ManyRelatedField | serializers.SerializerMethodField):
        return None
    if not field.source_attrs or isinstance(field, serializers.ListSerializer):
        return None
    return field.source_attrs


def _represent_as_drf(field: serializers.Field, instance: Any, representation: dict[str, Any]) -> None:
    """What `Serializer.to_representation` does for one field."""
    try:
        attribute = field.get_attribute(instance)
    except SkipField:
        return
    checked = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
    representation[field.field_name] = None if checked is None else field.to_representation(attribute)


def model_columns(serializer: serializers.Serializer, prefix: str = "") -> list[str]:
    """The model paths a serializer reads, for `.only()`: a list fetches no column it does not show."""
    columns: list[str] = []
    for field in serializer._readable_fields:
        path = prefix + "__".join(field.source_attrs)
        if len(field.source_attrs) > 1:
            columns.append(prefix + field.source_attrs[0])  # the relation itself, for select_related
        columns.append(path)
        if isinstance(field, serializers.Serializer):
            columns += model_columns(field, prefix=path + "__")
    return list(dict.fromkeys(columns))


class AuthorSerializer(PlainAttributesMixin, serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "platform", "handle", "display_name", "followers", "verified", "mention_count",
                  "complaint_count", "hidden_as_troll_count"]


class ReplySerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = Reply
        fields = ["id", "mention", "author", "body", "signature", "state", "error", "attempts", "external_id",
                  "created_at", "sent_at"]


class MentionSerializer(PlainAttributesMixin, serializers.ModelSerializer):
    author = AuthorSerializer(read_only=True)
    channel = serializers.CharField(source="channel.kind", read_only=True)
    channel_name = serializers.CharField(source="channel.name", read_only=True)
    assignee = serializers.CharField(source="assignee.username", read_only=True, default=None)

    class Meta:
        model = Mention
        fields = ["id", "channel", "channel_name", "external_id", "conversation_id", "in_reply_to_external_id",
                  "author", "text", "language", "url", "posted_at", "received_at", "sentiment", "sentiment_score",
                  "category", "priority", "suggested_action", "suggested_department", "triage_reasons",
                  "triage_tier", "status", "assignee", "is_hidden", "hidden_reason"]


class MentionDetailSerializer(MentionSerializer):
    replies = ReplySerializer(many=True, read_only=True)

    class Meta(MentionSerializer.Meta):
        fields = MentionSerializer.Meta.fields + ["replies"]


class AssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(required=False, allow_null=True,
                                        help_text="A community manager's user id; omitted means me, null unassigns.")


class ReplyCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000, allow_blank=False, trim_whitespace=True)
    take_over = serializers.BooleanField(default=False)


class HideSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, allow_blank=False, trim_whitespace=True)
    as_troll = serializers.BooleanField(default=False)


class ChannelHealthSerializer(serializers.ModelSerializer):
    """Health only: credentials are never part of any response."""

    is_healthy = serializers.BooleanField(read_only=True)

    class Meta:
        model = Channel
        fields = ["id", "name", "kind", "brand", "is_enabled", "poll_interval_seconds", "last_polled_at",
                  "last_success_at", "last_error", "last_error_at", "consecutive_failures", "next_poll_at",
                  "is_healthy"]
