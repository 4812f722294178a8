"""Two people on the same mention see each other, and see when the other is typing a reply."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from console.consumers import ConsoleConsumer
from tests.factories import MentionFactory
from tests.inbox.builders import receive_first

pytestmark = pytest.mark.django_db(transaction=True)


async def open_console(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(ConsoleConsumer.as_asgi(), "/ws/console/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from()
    assert hello["type"] == "hello"
    return communicator


async def join_and_settle(communicator: WebsocketCommunicator, mention_id: int) -> None:
    """Join, then wait for the answer to a ping: one socket's messages are handled in order."""
    await communicator.send_json_to({"type": "presence.join", "mention_id": mention_id})
    await communicator.send_json_to({"type": "ping"})
    await receive_first(communicator, lambda message: message["type"] == "pong", timeout=3)


async def next_presence(communicator: WebsocketCommunicator) -> dict:
    """The next presence message, skipping unrelated live events other tests may have caused."""
    return await receive_first(
        communicator, lambda message: message["type"] in ("presence.changed", "error"), timeout=3
    )


async def presence_in_state(communicator: WebsocketCommunicator, state: str) -> dict:
    """The next presence message in `state`: with pub/sub, one's own "joined" may still be on its way."""
    return await receive_first(
        communicator, lambda message: message["type"] == "presence.changed" and message["state"] == state, timeout=3
    )


def test_each_sees_the_other_and_when_the_other_is_typing(community_manager, other_community_manager):
    mention = MentionFactory()

    async def scenario():
        ana = await open_console(community_manager)
        luis = await open_console(other_community_manager)
        try:
            await join_and_settle(ana, mention.pk)
            await luis.send_json_to({"type": "presence.join", "mention_id": mention.pk})

            seen_by_ana = await next_presence(ana)
            assert seen_by_ana["state"] == "joined"
            assert seen_by_ana["user"] == {"id": other_community_manager.pk, "name": "Luis"}
            seen_by_luis = await presence_in_state(luis, "viewing")
            assert seen_by_luis["user"]["name"] == "Ana"

            await ana.send_json_to({"type": "presence.typing", "mention_id": mention.pk})
            typing = await presence_in_state(luis, "typing")
            assert (typing["user"]["id"], typing["mention_id"]) == (community_manager.pk, mention.pk)

            await luis.send_json_to({"type": "presence.leave", "mention_id": mention.pk})
            left = await presence_in_state(ana, "left")
            assert left["user"]["id"] == other_community_manager.pk
            assert await luis.receive_nothing(timeout=0.2)
        finally:
            await ana.disconnect()
            await luis.disconnect()

    async_to_sync(scenario)()


def test_closing_the_socket_tells_the_others_that_one_left(community_manager, other_community_manager):
    mention = MentionFactory()

    async def scenario():
        ana = await open_console(community_manager)
        luis = await open_console(other_community_manager)
        await join_and_settle(ana, mention.pk)
        await luis.send_json_to({"type": "presence.join", "mention_id": mention.pk})
        await next_presence(ana)
        await luis.disconnect()
        message = await presence_in_state(ana, "left")
        assert message["user"]["id"] == other_community_manager.pk
        await ana.disconnect()

    async_to_sync(scenario)()


def test_a_department_head_cannot_join_a_mention(department_head, community_manager):
    mention = MentionFactory()

    async def scenario():
        ana = await open_console(community_manager)
        marta = await open_console(department_head)
        try:
            await join_and_settle(ana, mention.pk)
            await marta.send_json_to({"type": "presence.join", "mention_id": mention.pk})
            refusal = await next_presence(marta)
            assert refusal == {"type": "error", "version": 1, "error": "presence not allowed"}
            assert await ana.receive_nothing(timeout=0.3)
        finally:
            await ana.disconnect()
            await marta.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize(
    "message",
    [
        {"type": "presence.join", "mention_id": 999_999},
        {"type": "presence.join", "mention_id": "mention.1"},
        {"type": "presence.join", "mention_id": True},
        {"type": "presence.dance", "mention_id": 1},
    ],
)
def test_unknown_mentions_and_bad_messages_are_refused(community_manager, message):
    async def scenario():
        ana = await open_console(community_manager)
        try:
            await ana.send_json_to(message)
            refusal = await next_presence(ana)
            assert refusal["type"] == "error"
            await ana.send_to(text_data="{not json")
            await ana.send_json_to({"type": "ping"})
            assert (await asyncio.wait_for(ana.receive_json_from(), 3))["type"] == "pong"
        finally:
            await ana.disconnect()

    async_to_sync(scenario)()
