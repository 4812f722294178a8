"""Redis crashes and comes back in the middle of an ingest and of live pushes.

The broker's queue survives in Redis's append-only file (fsync always, as the deployment configures
it); the worker reconnects by itself and finishes the ingest exactly once; the web process serves
websockets again without a restart. Browsers reconnect with backoff (static/js/console.js) and
reload their state over HTTP on `console:reconnected`; here the server side is checked: a socket
opened after Redis returns joins its groups and receives new events.
"""

from __future__ import annotations

import json
import time

import pytest
from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

from tests.reliability.conftest import seed_session, wait_until, webhook_items

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(900)]

OUTAGE_SECONDS = 3
BATCHES = 20
BATCH = 250


def _socket(base_url: str, session: str):
    return connect(
        base_url.replace("http://", "ws://") + "/ws/console/",
        additional_headers={"Cookie": f"sessionid={session}", "Origin": base_url},
        open_timeout=5,
    )


def _next_event(socket, event_type: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message.get("type") == event_type:
            return message


def test_after_a_redis_crash_the_ingest_finishes_exactly_once_and_live_pushes_resume(stack):
    # Given the web process, a worker, a community manager's live socket and a channel
    session = seed_session(stack)
    channel_id = stack.manage(
        "from inbox.models import Channel\n"
        "result = Channel.objects.create(name='Webhook redis', kind='webhook', brand='Telco').pk\n"
    )
    _, base_url = stack.daphne()
    stack.worker("worker", concurrency=2)
    before = _socket(base_url, session)
    assert json.loads(before.recv(timeout=10))["type"] == "hello"
    database = stack.database

    def stored() -> int:
        return database.scalar("SELECT count(*) FROM inbox_mention")

    # And an ingest under way, pushed live
    items = webhook_items(count=BATCHES * BATCH, prefix="r")
    client = stack.celery_client()
    for start in range(0, len(items), BATCH):
        client.send_task("inbox.mentions_ingest_batch", args=[channel_id, items[start : start + BATCH]], queue="ingest")
    assert _next_event(before, "mention.new", timeout=120)["count"] > 0

    # When Redis is killed mid-way and started again a few seconds later on the same port
    stack.redis.kill()
    stored_at_crash = stored()
    assert stored_at_crash < len(items), "the crash must land in the middle of the ingest"
    time.sleep(OUTAGE_SECONDS)
    stack.redis.start()
    back_at = time.monotonic()

    # Then the worker reconnects and the ingest resumes by itself
    wait_until(lambda: stored() > stored_at_crash, timeout=120, what="the ingest to resume")
    resumed_after = time.monotonic() - back_at
    wait_until(lambda: stored() == len(items), timeout=240, what="every mention stored")
    completed_after = time.monotonic() - back_at
    wait_until(lambda: sum(stack.queue_lengths().values()) == 0, timeout=60, what="the broker to drain")

    # And each mention is stored exactly once
    assert database.scalar("SELECT count(DISTINCT external_id) FROM inbox_mention") == len(items)
    assert database.scalar("SELECT sum(volume) FROM inbox_mentionminutestat WHERE topic = ''") == len(items)

    # And a socket opened after the crash (what the browser's reconnect does) receives new events
    def reconnected():
        try:
            socket = _socket(base_url, session)
            return socket if json.loads(socket.recv(timeout=5))["type"] == "hello" else None
        except (WebSocketException, OSError, TimeoutError):
            return None

    after = wait_until(reconnected, timeout=30, interval=0.5, what="a new socket to be accepted")
    reconnect_after = time.monotonic() - back_at
    client = stack.celery_client()
    client.send_task(
        "inbox.mentions_ingest_batch",
        args=[channel_id, webhook_items(count=3, prefix="late")],
        queue="ingest",
    )
    assert _next_event(after, "mention.new", timeout=60)["count"] == 3
    after.close()
    before.close()
    print(
        f"\nredis crash: killed at {stored_at_crash}/{len(items)} stored, {OUTAGE_SECONDS}s down; "
        f"ingest resumed {resumed_after:.1f}s and completed {completed_after:.1f}s after Redis returned; "
        f"new socket accepted {reconnect_after:.1f}s after"
    )
