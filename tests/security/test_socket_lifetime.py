"""The live socket ends with the session (issue #15, point 4), over the real Redis channel layer.

A department head has the escalation desk open. When they log out, are deactivated, have their
password changed, or leave the department, their socket is closed within a second and hears no
more of that department; a colleague's socket, opened the same way, goes on hearing it.
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client

from crisisdesk.asgi import application
from escalation.services import escalation_request_create
from tests import factories

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CLOSE_WITHIN_SECONDS = 1.0


def logged_in_browser(user) -> tuple[Client, bytes]:
    browser = Client()
    browser.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}".encode()
    return browser, cookie


async def open_console(cookie: bytes) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        application, "/ws/console/", headers=[(b"cookie", cookie), (b"origin", b"http://127.0.0.1")]
    )
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "hello"
    return communicator


async def closed_within(
    communicator: WebsocketCommunicator, seconds: float, *, since: float
) -> tuple[dict, int, float]:
    """The last event before the socket was closed, the close code, and the seconds from `since` to the close."""
    started = since
    last_event: dict = {}
    while True:
        remaining = seconds - (time.monotonic() - started)
        output = await communicator.receive_output(timeout=max(remaining, 0.01))
        if output["type"] == "websocket.send":
            last_event = json.loads(output["text"])
        elif output["type"] == "websocket.close":
            return last_event, output["code"], time.monotonic() - started


async def next_of_type(communicator: WebsocketCommunicator, event_type: str) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=5)
        if message["type"] == event_type:
            return message


def run(story) -> object:
    async def wrapped():
        try:
            return await story()
        finally:
            await sync_to_async(connections.close_all)()

    # A fresh thread has no event loop yet, even when the session's Playwright left one running here
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, wrapped()).result(timeout=60)


@pytest.fixture
def colleague(department):
    """Another head of the same department: the control that hears what the closed socket no longer does."""
    head = factories.UserFactory(role="department_head", username="oscar", first_name="Óscar")
    department.heads.add(head)
    return head


def escalate(community_manager, department, mention):
    return database_sync_to_async(escalation_request_create)(
        raised_by=community_manager, department=department, question="¿Hay avería?", mention_ids=[mention.pk]
    )


def assert_socket_ends(change, *, department_head, colleague, community_manager, department, expected_code):
    """Open the head's and the colleague's consoles, make the change, and check what each hears."""
    mention = factories.MentionFactory()
    _, head_cookie = logged_in_browser(department_head)
    _, colleague_cookie = logged_in_browser(colleague)

    async def story():
        head = await open_console(head_cookie)
        control = await open_console(colleague_cookie)
        try:
            await escalate(community_manager, department, mention)
            assert (await next_of_type(head, "escalation.created"))["department_id"] == department.pk
            await next_of_type(control, "escalation.created")

            started = time.monotonic()
            await change()
            last_event, code, elapsed = await closed_within(head, CLOSE_WITHIN_SECONDS, since=started)

            await escalate(community_manager, department, mention)
            assert (await next_of_type(control, "escalation.created"))["department_id"] == department.pk
            assert await head.receive_nothing(timeout=0.5)
            return last_event, code, elapsed
        finally:
            await head.disconnect()
            await control.disconnect()

    last_event, code, elapsed = run(story)
    assert code == expected_code
    assert elapsed < CLOSE_WITHIN_SECONDS
    print(f"socket closed {elapsed * 1000:.0f} ms after the change began ({last_event['type']}, {code})")
    return last_event


def test_logout_closes_that_sessions_socket_and_it_hears_no_more(
    department_head, colleague, community_manager, department
):
    browser, cookie = logged_in_browser(department_head)
    _, other_session_cookie = logged_in_browser(department_head)
    mention = factories.MentionFactory()

    async def story():
        socket = await open_console(cookie)
        other_session = await open_console(other_session_cookie)
        try:
            started = time.monotonic()
            await sync_to_async(browser.post)("/logout/")
            last_event, code, elapsed = await closed_within(socket, CLOSE_WITHIN_SECONDS, since=started)

            # The same person's other login session was not logged out, and goes on hearing Técnica
            await escalate(community_manager, department, mention)
            assert (await next_of_type(other_session, "escalation.created"))["department_id"] == department.pk
            assert await socket.receive_nothing(timeout=0.5)
            return last_event, code, elapsed
        finally:
            await socket.disconnect()
            await other_session.disconnect()

    last_event, code, elapsed = run(story)
    assert (last_event["type"], last_event["reason"], code) == ("session.ended", "logged_out", 4401)
    assert elapsed < CLOSE_WITHIN_SECONDS
    print(f"socket closed {elapsed * 1000:.0f} ms after the logout request began")

    # And the reconnect the console's script makes is refused: the session is gone
    async def reconnect():
        communicator = WebsocketCommunicator(
            application, "/ws/console/", headers=[(b"cookie", cookie), (b"origin", b"http://127.0.0.1")]
        )
        connected, refused_code = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected, refused_code

    assert run(reconnect) == (False, 4401)


def test_deactivation_closes_the_socket(department_head, colleague, community_manager, department):
    async def deactivate():
        department_head.is_active = False
        await database_sync_to_async(department_head.save)()

    last_event = assert_socket_ends(
        deactivate,
        department_head=department_head,
        colleague=colleague,
        community_manager=community_manager,
        department=department,
        expected_code=4401,
    )
    assert (last_event["type"], last_event["reason"]) == ("session.ended", "deactivated")


def test_a_password_change_closes_the_socket(department_head, colleague, community_manager, department):
    async def change_password():
        department_head.set_password("a-new-secret-456")
        await database_sync_to_async(department_head.save)()

    last_event = assert_socket_ends(
        change_password,
        department_head=department_head,
        colleague=colleague,
        community_manager=community_manager,
        department=department,
        expected_code=4401,
    )
    assert (last_event["type"], last_event["reason"]) == ("session.ended", "password_changed")


def test_leaving_the_department_closes_the_socket_and_the_reconnect_no_longer_hears_it(
    department_head, colleague, community_manager, department, other_department
):
    async def move_to_other_department():
        await database_sync_to_async(department.heads.remove)(department_head)
        await database_sync_to_async(department.members.remove)(department_head)
        await database_sync_to_async(other_department.heads.add)(department_head)

    last_event = assert_socket_ends(
        move_to_other_department,
        department_head=department_head,
        colleague=colleague,
        community_manager=community_manager,
        department=department,
        expected_code=4409,
    )
    assert (last_event["type"], last_event["reason"]) == ("access.changed", "departments_changed")

    # The console reconnects at once: it hears Jurídico now, and still nothing of Técnica
    _, cookie = logged_in_browser(department_head)
    mention = factories.MentionFactory()

    async def reconnected():
        socket = await open_console(cookie)
        try:
            await escalate(community_manager, department, mention)
            await escalate(community_manager, other_department, mention)
            return await next_of_type(socket, "escalation.created")
        finally:
            await socket.disconnect()

    assert run(reconnected)["department_id"] == other_department.pk


def test_a_role_change_closes_the_socket_for_a_reconnect(department_head, colleague, community_manager, department):
    async def make_community_manager():
        department_head.role = "community_manager"
        await database_sync_to_async(department_head.save)(update_fields=["role"])

    last_event = assert_socket_ends(
        make_community_manager,
        department_head=department_head,
        colleague=colleague,
        community_manager=community_manager,
        department=department,
        expected_code=4409,
    )
    assert (last_event["type"], last_event["reason"]) == ("access.changed", "role_changed")
