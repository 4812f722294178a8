"""Reads every app needs: the health of the system."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers
from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.db import connection
from django.utils import timezone

from crisisdesk.models import Heartbeat

HEARTBEAT_MAX_AGE = timedelta(seconds=60)
HEALTH_PROBE_TIMEOUT_SECONDS = 3


def health_report() -> tuple[bool, dict]:
    """Check the database, the channel layer and the Celery worker's heartbeat."""
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
