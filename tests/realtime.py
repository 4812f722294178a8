"""Listening to a channel-layer group from a synchronous test, as a browser's socket would.

The pub/sub layer keeps one subscription per event loop, so the listener runs one loop in a thread
of its own for the whole test, and waits until its own probe has come back through Redis before the
test goes on: from then on nothing published to the group can be missed.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import uuid

from channels.layers import get_channel_layer


class GroupListener:
    def __init__(self, group: str):
        self.group = group
        self.messages: queue.Queue = queue.Queue()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._probe = f"probe-{uuid.uuid4().hex}"
        self._error: BaseException | None = None

    def __enter__(self) -> GroupListener:
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            raise RuntimeError(f"could not listen to {self.group}: {self._error!r}")
        return self

    def __exit__(self, *exc) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def receive(self, timeout: float = 5) -> dict:
        """The next message sent to the group, with a console event's JSON decoded as a browser would
        (`message["event"]`); fails the test after `timeout` seconds."""
        message = self.messages.get(timeout=timeout)
        if "text" in message:
            message = {**message, "event": json.loads(message["text"])}
        return message

    def _run(self) -> None:
        try:
            asyncio.run(self._listen())
        except BaseException as error:  # noqa: BLE001 - reported by __enter__
            self._error = error
            self._ready.set()

    async def _listen(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        layer = get_channel_layer()
        channel = await layer.new_channel("test.")
        await layer.group_add(self.group, channel)
        try:
            while not self._ready.is_set():
                await layer.group_send(self.group, {"type": "test.probe", "probe": self._probe})
                try:
                    message = await asyncio.wait_for(layer.receive(channel), 0.5)
                except TimeoutError:
                    continue
                if message.get("probe") == self._probe:
                    self._ready.set()
            while not self._stop.is_set():
                try:
                    message = await asyncio.wait_for(layer.receive(channel), 0.2)
                except TimeoutError:
                    continue
                if message.get("probe") != self._probe:
                    self.messages.put(message)
        finally:
            await layer.group_discard(self.group, channel)
