"""The whole story over the real Redis channel layer: the head hears the question live, the CM the answer."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client

from crisisdesk.asgi import application
from escalation import services

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def _connect(cookie: bytes) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        application, "/ws/console/", headers=[(b"cookie", cookie), (b"origin", b"http://127.0.0.1")]
    )
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "hello"
    return communicator


async def _next_of_type(communicator: WebsocketCommunicator, event_type: str) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=5)
        if message["type"] == event_type:
            return message


def test_cm_escalates_head_hears_it_answers_and_the_cm_hears_the_answer(
    community_manager, department, department_head, other_department_head, mention
):
    assert "Redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    cookies = {
        name: _cookie_for(user)
        for name, user in (
            ("cm", community_manager),
            ("head", department_head),
            ("other", other_department_head),
        )
    }

    async def story() -> tuple[dict, dict, dict]:
        cm, head, other = [await _connect(cookies[name]) for name in ("cm", "head", "other")]
        try:
            # When the community manager escalates a mention to Técnica
            request = await database_sync_to_async(services.escalation_request_create)(
                raised_by=community_manager,
                department=department,
                question="¿Hay avería?",
                mention_ids=[mention.pk],
            )
            # Then Técnica's head hears it at once
            created = await _next_of_type(head, "escalation.created")
            # When the head answers, then the community manager hears the answer
            await database_sync_to_async(services.escalation_answer_create)(
                request_id=request.pk, author=department_head, text="Sí, vuelve a las 14:00"
            )
            answered = await _next_of_type(cm, "escalation.answered")
            head_answered = await _next_of_type(head, "escalation.answered")
            # And the head of Jurídico heard nothing at all
            assert await other.receive_nothing(timeout=0.5)
            return created, answered, head_answered
        finally:
            for communicator in (cm, head, other):
                await communicator.disconnect()
            await sync_to_async(connections.close_all)()  # the worker thread's connection, before teardown

    # A fresh thread has no event loop yet, even when the session's Playwright left one running here
    with ThreadPoolExecutor(max_workers=1) as executor:
        created, answered, head_answered = executor.submit(asyncio.run, story()).result(timeout=60)

    assert created["version"] == 1
    assert created["department_id"] == department.pk and created["mention_ids"] == [mention.pk]
    assert answered["request_id"] == created["request_id"] and answered["status"] == "answered"
    assert head_answered["answer_id"] == answered["answer_id"]
    # Event payloads never carry text written by strangers or the question itself
    assert "text" not in answered and "question" not in created
