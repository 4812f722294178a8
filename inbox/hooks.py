"""Where apps above the inbox plug in, so that the inbox (and escalation, playbooks) never import them.

Outgoing webhooks live in `integrations`, which registers its callables here in its AppConfig.ready():

- `outgoing_event_emit(...)` announces an event (a crisis declared, an escalation overdue) to every
  registered emitter, inside the caller's transaction;
- `mentions_created(...)` tells every registered listener which mentions an ingestion just stored.

With nothing registered both are no-ops. Registering the same callable twice keeps one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Protocol


class OutgoingEventEmitter(Protocol):
    def __call__(
        self,
        *,
        event_type: str,
        payload: dict[str, Any],
        priority: int | None = None,
        event_id: uuid.UUID | None = None,
    ) -> None: ...


MentionsCreatedListener = Callable[..., None]

_event_emitters: list[OutgoingEventEmitter] = []
_mentions_created_listeners: list[MentionsCreatedListener] = []


def outgoing_event_emitter_register(emitter: OutgoingEventEmitter) -> None:
    if emitter not in _event_emitters:
        _event_emitters.append(emitter)


def mentions_created_listener_register(listener: MentionsCreatedListener) -> None:
    """`listener(mention_ids=[...])` is called once per ingested batch with the new mentions' ids."""
    if listener not in _mentions_created_listeners:
        _mentions_created_listeners.append(listener)


def outgoing_event_emit(
    *,
    event_type: str,
    payload: dict[str, Any],
    priority: int | None = None,
    event_id: uuid.UUID | None = None,
) -> None:
    """Hand an event to every registered emitter (outgoing webhooks); call it inside the change's transaction."""
    for emitter in _event_emitters:
        emitter(event_type=event_type, payload=payload, priority=priority, event_id=event_id)


def mentions_created(*, mention_ids: list[int]) -> None:
    """Tell every registered listener (the `mention.priority_above` webhook) which mentions were stored."""
    for listener in _mentions_created_listeners:
        listener(mention_ids=mention_ids)
