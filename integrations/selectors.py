"""Reads of the integrations: a user's API token and the outgoing webhook endpoints with their logs."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.authtoken.models import Token

from crisisdesk.models import User
from integrations.models import WebhookDelivery, WebhookEndpoint


def api_token_for_user(*, user: User) -> Token | None:
    """The user's API token, if any; callers show only `key[:6]`."""
    return Token.objects.filter(user=user).first()


def webhook_endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.select_related("created_by").order_by("id")


def webhook_endpoint_get(*, endpoint_id: int) -> WebhookEndpoint | None:
    return webhook_endpoint_list().filter(pk=endpoint_id).first()


def webhook_delivery_list(*, endpoint_id: int) -> QuerySet[WebhookDelivery]:
    """The delivery log of one endpoint, newest first."""
    return WebhookDelivery.objects.filter(endpoint_id=endpoint_id)
