"""Presence on a mention over the console websocket: who else has it open, and who is typing.

The browser says `{"type": "presence.join"|"presence.typing"|"presence.leave", "mention_id": N}`.
The consumer authorises with a selector, joins the server-named group `mention.<id>` and tells the
group. Presence is ephemeral (nothing is written), so it goes straight to the channel layer: there
is no transaction to wait for. When someone joins, everyone already there answers "viewing", so
the newcomer sees them too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async

from crisisdesk.realtime import group_for_mention
from inbox import events, selectors

PRESENCE_TYPES: dict[str, events.PresenceState] = {
    "presence.join": "joined",
    "presence.typing": "typing",
    "presence.leave": "left",
}
MAX_PRESENCE_GROUPS = 20


class MentionPresenceMixin:
    """For `AsyncJsonWebsocketConsumer`s: `presence.*` messages in, `presence.event` group messages out."""

    # What the consumer this is mixed into provides (declared only: the consumer's own are used).
    scope: dict[str, Any]
    channel_name: str
    channel_layer: Any
    send_json: Callable[..., Awaitable[None]]

    async def presence_receive(self, content: dict[str, Any]) -> None:
        state = PRESENCE_TYPES.get(str(content.get("type")))
        mention_id = content.get("mention_id")
        if state is None or not isinstance(mention_id, int) or isinstance(mention_id, bool) or mention_id <= 0:
            await self.send_json({"type": "error", "version": 1, "error": "invalid presence message"})
            return
        joined: set[int] = self.__dict__.setdefault("presence_mentions", set())
        if state == "left":
            if mention_id in joined:
                await self._presence_broadcast(mention_id, "left")
                joined.discard(mention_id)
                await self.channel_layer.group_discard(group_for_mention(mention_id), self.channel_name)
            return
        if mention_id not in joined:
            if len(joined) >= MAX_PRESENCE_GROUPS:
                await self.send_json({"type": "error", "version": 1, "error": "too many open mentions"})
                return
            allowed = await database_sync_to_async(selectors.mention_presence_allowed)(
                user=self.scope["user"], mention_id=mention_id
            )
            if not allowed:
                await self.send_json({"type": "error", "version": 1, "error": "presence not allowed"})
                return
            joined.add(mention_id)
            await self.channel_layer.group_add(group_for_mention(mention_id), self.channel_name)
            state = "joined"
        await self._presence_broadcast(mention_id, state)

    async def presence_disconnect(self) -> None:
        for mention_id in list(self.__dict__.get("presence_mentions", ())):
            await self._presence_broadcast(mention_id, "left")
            await self.channel_layer.group_discard(group_for_mention(mention_id), self.channel_name)
        self.__dict__["presence_mentions"] = set()

    async def presence_event(self, message: dict[str, Any]) -> None:
        """A group message: forward others' presence; answer a newcomer so that they see us."""
        if message.get("origin") == self.channel_name:
            return
        payload = message["event"]
        await self.send_json(payload)
        if payload.get("state") == "joined":
            await self._presence_broadcast(payload["mention_id"], "viewing")

    async def _presence_broadcast(self, mention_id: int, state: events.PresenceState) -> None:
        user = self.scope["user"]
        payload = events.presence_changed(
            mention_id=mention_id,
            user={"id": user.pk, "name": events.person_name(user)},
            state=state,
        )
        await self.channel_layer.group_send(
            group_for_mention(mention_id),
            {"type": "presence.event", "event": payload, "origin": self.channel_name},
        )
