"""Live events: one trip to the event loop for every group, and a failing group never stops the others."""

import asyncio
import json

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer

from crisisdesk import realtime


class FlakyLayer(InMemoryChannelLayer):
    """An in-memory layer whose group "department.1" is unreachable, as a Redis shard can be."""

    async def group_send(self, group, message):
        if group == "department.1":
            raise ConnectionError("redis shard down")
        await super().group_send(group, message)


def test_an_event_reaches_every_group_once_even_when_one_group_fails(monkeypatch, caplog):
    layer = FlakyLayer()
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    inbox = async_to_sync(layer.new_channel)()
    director = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("inbox", inbox)
    async_to_sync(layer.group_add)("role.director", director)

    realtime.publish_now(["inbox", "department.1", "role.director", "inbox"], realtime.event("mention.new", count=1))

    for channel in (inbox, director):
        message = async_to_sync(layer.receive)(channel)
        assert json.loads(message["text"]) == {"type": "mention.new", "version": 1, "count": 1}
    assert inbox not in layer.channels or layer.channels[inbox].empty()
    assert "Could not push mention.new to department.1" in caplog.text


def test_publishing_from_a_thread_that_runs_an_event_loop_loses_the_push_not_the_write(caplog):
    async def inside_a_loop():
        realtime.publish_now(["inbox"], realtime.event("mention.new", count=1))

    asyncio.run(inside_a_loop())

    assert "Could not push mention.new" in caplog.text
