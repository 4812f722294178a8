"""Reads every app needs: which live groups a user belongs to, and the health of the system."""

from __future__ import annotations

from datetime import timedelta

from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.db import connection
from django.utils import timezone

from crisisdesk.models import Heartbeat, Role, User
from crisisdesk.realtime import BROADCAST_GROUP, INBOX_GROUP, group_for_department, group_for_role, group_for_user
from crisisdesk.roles import user_role

HEARTBEAT_MAX_AGE = timedelta(seconds=60)
HEALTH_PROBE_TIMEOUT_SECONDS = 3


def console_groups_for_user(user: User) -> list[str]:
    """The groups are named by the server from the user's role and departments, never by the client."""
    from escalation.selectors import department_ids_for_user

    role = user_role(user)
    if role is None:
        return []
    groups = [BROADCAST_GROUP, group_for_user(user.pk), group_for_role(role)]
    if role in (Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN):
        groups.append(INBOX_GROUP)
    groups += [group_for_department(department_id) for department_id in department_ids_for_user(user)]
    return groups


def health_report() -> tuple[bool, dict]:
    """Check the database, the channel layer and the Celery worker's heartbeat."""
    import asyncio

    from asgiref.sync import async_to_sync
    from channels import DEFAULT_CHANNEL_LAYER
    from channels.layers import channel_layers

    parts: dict[str, dict] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        parts["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as error:
        parts["database"] = {"ok": False, "error": str(error)[:200]}

    try:
        # A layer of its own: the process's shared one receives on the server's event loop (its websockets),
        # and a receive() from this thread's loop beside it hangs or raises.
        layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)

        async def probe() -> bool:
            try:
                channel = await layer.new_channel("healthz.")
                await layer.send(channel, {"type": "healthz.probe"})
                message = await asyncio.wait_for(layer.receive(channel), timeout=HEALTH_PROBE_TIMEOUT_SECONDS)
                return message.get("type") == "healthz.probe"
            finally:  # its connections only: flush() of the list-based layer would delete every queue
                if isinstance(layer, RedisChannelLayer):
                    await layer.close_pools()
                elif isinstance(layer, RedisPubSubChannelLayer):
                    await layer.flush()

        parts["channel_layer"] = {"ok": bool(async_to_sync(probe)()), "backend": type(layer).__name__}
    except Exception as error:
        parts["channel_layer"] = {"ok": False, "error": str(error)[:200]}

    if parts["database"]["ok"]:
        beat = Heartbeat.objects.filter(name="worker").first()
        if beat is None:
            parts["worker"] = {"ok": False, "error": "no heartbeat yet"}
        else:
            age = (timezone.now() - beat.seen_at).total_seconds()
            parts["worker"] = {"ok": age <= HEARTBEAT_MAX_AGE.total_seconds(), "last_seen_seconds": round(age, 1)}
    else:
        parts["worker"] = {"ok": False, "error": "database unavailable"}
    return all(part["ok"] for part in parts.values()), parts


def api_token_for_user(*, user: User):
    """The user's API token, if any; callers show only `key[:6]`."""
    from rest_framework.authtoken.models import Token

    return Token.objects.filter(user=user).first()


def webhook_endpoint_list():
    from crisisdesk.models import WebhookEndpoint

    return WebhookEndpoint.objects.select_related("created_by").order_by("id")


def webhook_endpoint_get(*, endpoint_id: int):
    return webhook_endpoint_list().filter(pk=endpoint_id).first()


def webhook_delivery_list(*, endpoint_id: int):
    """The delivery log of one endpoint, newest first."""
    from crisisdesk.models import WebhookDelivery

    return WebhookDelivery.objects.filter(endpoint_id=endpoint_id)
