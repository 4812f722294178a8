"""Live events: one trip to the event loop for every group, and a failing group never stops the others."""

import asyncio
import json
import time

import pytest
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

    for channel, group in ((inbox, "inbox"), (director, "role.director")):
        message = async_to_sync(layer.receive)(channel)
        payload = json.loads(message["text"])
        assert {key: payload[key] for key in ("type", "version", "count")} == {
            "type": "mention.new",
            "version": 1,
            "count": 1,
        }
        assert payload["stream"] == realtime.stream_name(group)
    assert inbox not in layer.channels or layer.channels[inbox].empty()
    assert "Could not push mention.new to department.1" in caplog.text


def test_publishing_from_a_thread_that_runs_an_event_loop_loses_the_push_not_the_write(caplog):
    async def inside_a_loop():
        realtime.publish_now(["inbox"], realtime.event("mention.new", count=1))

    asyncio.run(inside_a_loop())

    assert "Could not push mention.new" in caplog.text


def test_each_group_numbers_its_events_so_a_console_can_tell_it_missed_one(monkeypatch):
    layer = InMemoryChannelLayer()
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    inbox = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("inbox", inbox)
    async_to_sync(layer.group_add)("role.director", inbox)

    for _ in range(3):
        realtime.publish_now(["inbox"], realtime.event("mention.new", count=1))
    realtime.publish_now(["role.director"], realtime.event("alert.raised"))

    received = [json.loads(async_to_sync(layer.receive)(inbox)["text"]) for _ in range(4)]
    inbox_numbers = [payload["seq"] for payload in received if payload["stream"] == realtime.stream_name("inbox")]
    assert inbox_numbers == [inbox_numbers[0], inbox_numbers[0] + 1, inbox_numbers[0] + 2]
    director = [payload for payload in received if payload["stream"] == realtime.stream_name("role.director")]
    assert len(director) == 1 and director[0]["seq"] >= 1
    assert realtime.stream_name("inbox") != realtime.stream_name("role.director")
    assert "inbox" not in realtime.stream_name("inbox")


@pytest.mark.services
def test_the_numbers_are_shared_by_every_process_through_redis(settings):
    from django.core.cache import caches

    settings.CACHES = {
        "default": {"BACKEND": "crisisdesk.cache.SharedPoolRedisCache", "LOCATION": settings.TEST_REDIS_URL}
    }
    caches["default"].delete(realtime.SEQUENCE_COUNTER.format("department.7"))
    first = realtime.stream_numbers(["department.7", "inbox"])
    second = realtime.stream_numbers(["department.7"])
    assert second == [first[0] + 1]
    key = caches["default"].make_and_validate_key(realtime.SEQUENCE_COUNTER.format("department.7"))
    ttl = realtime.redis_client_for(key).ttl(key)
    assert 0 < ttl <= realtime.SEQUENCE_IDLE_SECONDS


def test_numbering_that_fails_still_sends_the_event(monkeypatch, caplog):
    layer = InMemoryChannelLayer()
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(realtime, "redis_client_for", lambda key: (_ for _ in ()).throw(ConnectionError("redis down")))
    inbox = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("inbox", inbox)

    realtime.publish_now(["inbox"], realtime.event("mention.new", count=2))

    assert json.loads(async_to_sync(layer.receive)(inbox)["text"])["seq"] == 0
    assert "Could not number the events of inbox" in caplog.text


def test_a_request_thread_publishes_without_waiting_for_the_servers_busy_event_loop():
    """The web's event loop hands events to a thousand sockets; a request that publishes on commit must not
    queue behind that: its send goes out on the process's own sending loop (Redis layer)."""
    from asgiref.sync import sync_to_async

    from tests.realtime import GroupListener

    timings: dict[str, float] = {}

    def request_thread() -> None:
        started = time.monotonic()
        realtime.publish_now(["inbox"], realtime.event("mention.new", count=7))
        timings["publish"] = time.monotonic() - started

    async def server() -> None:
        async def sockets_busy() -> None:
            time.sleep(1.5)  # the loop, blocked handing out a burst of events

        await asyncio.gather(sync_to_async(request_thread, thread_sensitive=False)(), sockets_busy())

    with GroupListener("inbox") as consoles:
        asyncio.run(server())
        assert consoles.receive(timeout=5)["event"]["count"] == 7
    assert timings["publish"] < 0.5
