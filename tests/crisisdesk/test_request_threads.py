"""The web process runs each request on one of a few long-lived threads, never more at once than its pool."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from django.conf import settings

from crisisdesk.asgi import SyncRequestHandler


@pytest.fixture
def handler(monkeypatch):
    """The web's handler as a process with a pool of two database connections builds it."""
    monkeypatch.setitem(settings.DATABASES["default"], "POOL_OPTIONS", {"POOL_SIZE": 2, "TIMEOUT": 5})
    built = SyncRequestHandler()
    seen: list[str] = []
    inside = {"now": 0, "most": 0}
    lock = threading.Lock()
    respond = built.get_response

    def recording(request):
        with lock:
            seen.append(threading.current_thread().name)
            inside["now"] += 1
            inside["most"] = max(inside["most"], inside["now"])
        time.sleep(0.05)
        try:
            return respond(request)
        finally:
            with lock:
                inside["now"] -= 1

    built.get_response = recording  # type: ignore[method-assign]
    built.seen, built.inside = seen, inside  # type: ignore[attr-defined]
    return built


async def get_many(handler, count: int, *, together: bool) -> list[int]:
    transport = httpx.ASGITransport(app=handler)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        if together:
            answers = await asyncio.gather(*(client.get("/no-such-page/") for _ in range(count)))
        else:
            answers = [await client.get("/no-such-page/") for _ in range(count)]
    return [answer.status_code for answer in answers]


def test_requests_one_after_another_reuse_one_thread(handler):
    assert asyncio.run(get_many(handler, 6, together=False)) == [404] * 6
    assert len(set(handler.seen)) == 1 and handler.seen[0].startswith("request-")


def test_a_burst_waits_for_the_pools_turns_and_uses_no_more_threads(handler):
    assert asyncio.run(get_many(handler, 8, together=True)) == [404] * 8
    assert handler.inside["most"] == 2
    assert len(set(handler.seen)) == 2 and all(name.startswith("request-") for name in handler.seen)


def test_one_request_makes_one_trip_to_its_thread_and_is_closed_before_its_bytes_go_out(handler):
    """`request_started`, the view and `request_finished` all run on the request's thread, once each."""
    from django.core import signals

    threads: dict[str, list[str]] = {"started": [], "finished": []}

    def started(**kwargs):
        threads["started"].append(threading.current_thread().name)

    def finished(**kwargs):
        threads["finished"].append(threading.current_thread().name)

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        assert asyncio.run(get_many(handler, 3, together=False)) == [404] * 3
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert threads["started"] == threads["finished"] == handler.seen
    assert all(name.startswith("request-") for name in handler.seen)


def test_a_streamed_static_file_arrives_whole(handler):
    async def fetch():
        transport = httpx.ASGITransport(app=handler)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get("/static/js/console.js")

    answer = asyncio.run(fetch())
    assert answer.status_code == 200
    assert answer.content == (settings.BASE_DIR / "static" / "js" / "console.js").read_bytes()
