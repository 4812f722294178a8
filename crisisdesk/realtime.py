"""Live events: one helper sends them to websocket groups, and only after the transaction commits.

A client told about a change that then rolled back would show something that never happened.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction

from crisisdesk.cache import redis_client_for

logger = logging.getLogger(__name__)

EVENT_VERSION = 1
SEQUENCE_COUNTER = "realtime:sequence:{}"
SEQUENCE_IDLE_SECONDS = 24 * 3600


def group_for_user(user_id: int) -> str:
    return f"user.{user_id}"


def group_for_session(session_key: str) -> str:
    """The sockets opened under one login session; named from a digest so the key itself never travels."""
    return f"session.{hashlib.sha256(session_key.encode()).hexdigest()[:40]}"


def group_for_department(department_id: int) -> str:
    return f"department.{department_id}"


def group_for_role(role: str) -> str:
    return f"role.{role}"


def group_for_mention(mention_id: int) -> str:
    """The consoles that have one mention open (joined by presence, inbox/consumers.py)."""
    return f"mention.{mention_id}"


INBOX_GROUP = "inbox"
BROADCAST_GROUP = "everyone"


def event(event_type: str, **payload: Any) -> dict[str, Any]:
    return {"type": event_type, "version": EVENT_VERSION, **payload}


def console_message(payload: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer message that carries an event to the console's sockets, its JSON encoded once:
    a broadcast reaches every open console, and encoding it per socket was most of a delivery's cost.
    `published_at` (wall clock, any host) lets each console time the delivery (crisisdesk.metrics.PUSH_LATENCY)."""
    return {
        "type": "console.event",
        "text": json.dumps(payload),
        "event_type": payload.get("type"),
        "published_at": time.time(),
    }


# Close codes the console's script acts on: 4401 reloads the page (the login page, if the session is gone);
# 4409 reconnects at once, joining the groups the user's access now allows, and re-loads state.
CLOSE_SESSION_ENDED = 4401
CLOSE_ACCESS_CHANGED = 4409


def close_message(payload: dict[str, Any], code: int) -> dict[str, Any]:
    """The channel-layer message that makes every socket in a group leave its groups, say why and close."""
    return {"type": "console.close", "text": json.dumps(payload), "code": code}


def publish_now(groups: Iterable[str], payload: dict[str, Any]) -> None:
    """Send to every group in one trip to the event loop: a hop per group was a queue per group under load.

    Each group's copy carries its stream and the stream's next number (`stream_numbers`).
    """
    group_list = list(dict.fromkeys(groups))
    messages = [
        (group, console_message({**payload, "stream": stream_name(group), "seq": number}))
        for group, number in zip(group_list, stream_numbers(group_list), strict=True)
    ]
    _send_all(messages, payload.get("type"))


def stream_name(group: str) -> str:
    """What a console calls a group's stream of events: a digest, so no group's name reaches a browser."""
    return hashlib.sha256(f"stream:{group}".encode()).hexdigest()[:12]


def stream_numbers(groups: list[str]) -> list[int]:
    """The next number of each group's stream, one Redis round trip for all of them (0: not numbered).

    A console that sees a number skipped knows it missed an event, which the channel layer drops without
    a word when it waited longer than the layer's expiry or the socket's queue was full, and re-loads what
    it shows (`console:resync` in static/js/console.js). A stream idle for a day starts again at 1, which
    the console takes as a new start, not a gap.
    """
    if not groups:
        return []
    keys = [SEQUENCE_COUNTER.format(group) for group in groups]
    try:
        client = redis_client_for(keys[0])
        if client is None:
            numbers = []
            for key in keys:
                cache.add(key, 0, timeout=SEQUENCE_IDLE_SECONDS)
                numbers.append(int(cache.incr(key)))
            return numbers
        pipeline = client.pipeline(transaction=False)
        for key in keys:
            stored = cache.make_and_validate_key(key)
            pipeline.incr(stored)
            pipeline.expire(stored, SEQUENCE_IDLE_SECONDS)
        return [int(number) for number in pipeline.execute()[::2]]
    except Exception:  # numbering is a hint for the console; the event itself must still go
        logger.exception("Could not number the events of %s", ", ".join(groups))
        return [0] * len(groups)


def sockets_close_now(groups: Iterable[str], payload: dict[str, Any], *, code: int) -> None:
    """Every socket in the groups receives the event, leaves its groups and is closed with `code`."""
    _send_now(groups, close_message(payload, code), payload.get("type"))


def _send_now(groups: Iterable[str], message: dict[str, Any], event_type: str | None) -> None:
    _send_all([(group, message) for group in dict.fromkeys(groups)], event_type)


class _PublisherLoop:
    """The Redis channel layer's sends from synchronous code, on an event loop of their own.

    `async_to_sync` in a web request's thread runs the send on the server's event loop, which in a crisis is
    busy handing events to a thousand sockets: a third of the request threads' time went to waiting for it
    (docs/PERFORMANCE.md). One daemon thread per process runs a loop for sends only, and the Redis layer keeps
    its connections per loop, so a worker no longer opens new ones for each event either. Not for the
    in-memory layer of the embedded mode, whose queues belong to the server's loop.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # a forked worker starts its own
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="crisisdesk-publisher", daemon=True).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop


_publisher = _PublisherLoop()
PUBLISH_TIMEOUT_SECONDS = 10


def _send_all(messages: list[tuple[str, dict[str, Any]]], event_type: str | None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        if type(layer).__module__.startswith("channels_redis") and not _in_event_loop():
            sending = asyncio.run_coroutine_threadsafe(_groups_send(layer, messages, event_type), _publisher.loop())
            sending.result(timeout=PUBLISH_TIMEOUT_SECONDS)
        else:
            async_to_sync(_groups_send)(layer, messages, event_type)
    except Exception:  # e.g. called from a thread that runs an event loop: the write stands, the push is lost
        logger.exception("Could not push %s", event_type)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _groups_send(layer, messages: list[tuple[str, dict[str, Any]]], event_type: str | None) -> None:
    for group, message in messages:
        try:
            await layer.group_send(group, message)
        except Exception:  # a lost push must never undo the write that caused it
            logger.exception("Could not push %s to %s", event_type, group)


def publish_on_commit(groups: Iterable[str], payload: dict[str, Any]) -> None:
    group_list = list(groups)
    transaction.on_commit(lambda: publish_now(group_list, payload))


def sockets_close_on_commit(groups: Iterable[str], payload: dict[str, Any], *, code: int) -> None:
    group_list = list(groups)
    transaction.on_commit(lambda: sockets_close_now(group_list, payload, code=code))
