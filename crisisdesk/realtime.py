"""Live events: one helper sends them to websocket groups, and only after the transaction commits.

A client told about a change that then rolled back would show something that never happened.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

EVENT_VERSION = 1


def group_for_user(user_id: int) -> str:
    return f"user.{user_id}"


def group_for_session(session_key: str) -> str:
    """The sockets opened under one login session; named from a digest so the key itself never travels."""
    return f"session.{hashlib.sha256(session_key.encode()).hexdigest()[:40]}"


def group_for_department(department_id: int) -> str:
    return f"department.{department_id}"


def group_for_role(role: str) -> str:
    return f"role.{role}"


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
    """Send to every group in one trip to the event loop: a hop per group was a queue per group under load."""
    _send_now(groups, console_message(payload), payload.get("type"))


def sockets_close_now(groups: Iterable[str], payload: dict[str, Any], *, code: int) -> None:
    """Every socket in the groups receives the event, leaves its groups and is closed with `code`."""
    _send_now(groups, close_message(payload, code), payload.get("type"))


def _send_now(groups: Iterable[str], message: dict[str, Any], event_type: str | None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(_groups_send)(layer, list(dict.fromkeys(groups)), message, event_type)
    except Exception:  # e.g. called from a thread that runs an event loop: the write stands, the push is lost
        logger.exception("Could not push %s", event_type)


async def _groups_send(layer, groups: list[str], message: dict[str, Any], event_type: str | None) -> None:
    for group in groups:
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
