"""The console's one websocket: it authenticates, joins server-named groups and forwards events."""

from __future__ import annotations

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from console.selectors import console_groups_for_user
from crisisdesk.metrics import push_latency_observe
from crisisdesk.parsers import JsonDocumentInvalid, json_loads_bounded
from crisisdesk.realtime import group_for_session, group_for_user
from inbox.consumers import MentionPresenceMixin


class ConsoleConsumer(MentionPresenceMixin, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        # The groups through which this socket is closed are joined before its access is read: a change
        # committed in between is then either in what is read or in a close that reaches the socket.
        self.groups_joined = [group_for_user(user.pk)]
        session_key = getattr(self.scope.get("session"), "session_key", None)
        if session_key:
            self.groups_joined.append(group_for_session(session_key))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        groups = await database_sync_to_async(console_groups_for_user)(user)
        if not groups:
            await self.groups_leave()
            await self.close(code=4403)
            return
        for group in groups:
            if group not in self.groups_joined:
                self.groups_joined.append(group)
                await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "version": 1, "groups": len(groups)})

    async def groups_leave(self) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch without its hop to the sync thread, before every handler, to close stale
        database connections. With a thousand consoles open, each event became a thousand hops through
        that one thread (py-spy under bench/load.py: 7% of a web process's CPU, and the deliveries queued
        behind each other). No handler here touches the database itself: the ones that read it go through
        database_sync_to_async, which closes stale connections on its own."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        await self.presence_disconnect()
        await self.groups_leave()

    @classmethod
    async def decode_json(cls, text_data):
        """Broken JSON from a browser is ignored rather than crashing the socket."""
        try:
            return json_loads_bounded(text_data)
        except JsonDocumentInvalid:
            return None

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            return
        if content["type"] == "ping":
            await self.send_json({"type": "pong", "version": 1})
        elif content["type"].startswith("presence."):
            await self.presence_receive(content)

    async def console_event(self, message: dict) -> None:
        await self.send(text_data=message["text"])
        if "published_at" in message:
            push_latency_observe(event_type=message.get("event_type") or "", published_at=message["published_at"])

    async def console_close(self, message: dict) -> None:
        """The session ended or the access changed (console.access): leave every group first, so that
        nothing more arrives, then say why and close with the code the console's script acts on."""
        await self.groups_leave()
        await self.send(text_data=message["text"])
        await self.close(code=message["code"])
