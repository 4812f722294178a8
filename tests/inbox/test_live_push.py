"""New mentions reach the console's websocket over the real Redis channel layer, and only the right people."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from crisisdesk.asgi import application
from crisisdesk.realtime import INBOX_GROUP, event, publish_now
from inbox import services
from tests.factories import ChannelFactory
from tests.inbox.builders import normalized, receive_first

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


def console_socket(cookie: bytes | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/console/", headers=headers)


def test_the_layer_under_test_is_redis():
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"


def test_a_community_manager_hears_about_new_mentions_and_a_department_head_does_not(
    community_manager, department_head
):
    channel = ChannelFactory()
    manager_cookie = session_cookie(community_manager)
    head_cookie = session_cookie(department_head)

    async def scenario():
        manager = console_socket(manager_cookie)
        head = console_socket(head_cookie)
        assert (await manager.connect())[0]
        assert (await head.connect())[0]
        try:
            assert (await manager.receive_json_from())["type"] == "hello"
            assert (await head.receive_json_from())["type"] == "hello"

            report = await database_sync_to_async(services.mentions_ingest)(
                channel=channel, mentions=[normalized("live-1", "Caída total en Bilbao <script>x</script>")]
            )

            message = await receive_first(manager, lambda message: message["type"] == "mention.new")
            assert message["count"] == 1
            assert message["mentions"][0]["id"] == report.created_ids[0]
            assert message["mentions"][0]["text"] == "Caída total en Bilbao <script>x</script>"
            assert await head.receive_nothing(timeout=0.5)
        finally:
            await manager.disconnect()
            await head.disconnect()

    async_to_sync(scenario)()


def test_an_anonymous_connection_is_rejected():
    async def scenario():
        anonymous = console_socket(None)
        connected, code = await anonymous.connect()
        assert not connected
        assert code == 4401
        await anonymous.disconnect()

    async_to_sync(scenario)()


def test_forwarding_events_to_an_open_console_does_not_stop_at_the_database(monkeypatch, community_manager):
    """Every event to every socket used to hop to Django's one sync thread to close stale connections."""
    import channels.db

    cookie = session_cookie(community_manager)
    cleanups = []

    async def scenario():
        console = console_socket(cookie)
        assert (await console.connect())[0]
        try:
            assert (await console.receive_json_from())["type"] == "hello"
            monkeypatch.setattr(channels.db, "close_old_connections", lambda: cleanups.append(1))
            publish = sync_to_async(publish_now, thread_sensitive=False)
            for number in range(5):
                await publish([INBOX_GROUP], event("mention.new", count=number))
            received = [await receive_first(console, lambda message: message["type"] == "mention.new")
                        for _ in range(5)]
            monkeypatch.undo()
        finally:
            await console.disconnect()
        return received

    received = async_to_sync(scenario)()

    assert [message["count"] for message in received] == [0, 1, 2, 3, 4]
    assert cleanups == []
