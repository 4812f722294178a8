from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookFormat
from integrations.services import TOKEN_PREFIX_LENGTH


class ApiTokenSerializer(serializers.Serializer):
    """A token as lists show it: only the first characters of the key."""

    prefix = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="created", read_only=True)

    def get_prefix(self, token) -> str:
        return token.key[:TOKEN_PREFIX_LENGTH]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    """Only the response that creates a token carries the whole key; it is never shown again."""

    key = serializers.CharField(read_only=True)


class ApiLoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"}, trim_whitespace=False)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An endpoint without its secret: the secret is shown once, when the endpoint is created."""

    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "name",
            "url",
            "events",
            "format",
            "min_priority",
            "is_active",
            "created_by",
            "created_at",
        ]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text=_("Shown only in this response."))

    class Meta(WebhookEndpointSerializer.Meta):
        fields = WebhookEndpointSerializer.Meta.fields + ["secret"]


class WebhookEndpointWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False, max_length=10
    )
    format = serializers.ChoiceField(choices=WebhookFormat.choices, default=WebhookFormat.JSON)
    min_priority = serializers.IntegerField(min_value=0, max_value=100, default=80)
    is_active = serializers.BooleanField(default=True)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_type",
            "event_id",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "payload",
        ]
