"""A Celery worker killed with SIGKILL in the middle of a large ingest loses nothing and duplicates nothing.

acks_late + reject_on_worker_lost keep an unfinished task's message in the broker; the visibility
timeout hands it out again to the restarted worker; INSERT … ON CONFLICT DO NOTHING makes the replay
harmless. RELIABILITY_MENTIONS sets the size (default 50,000; smaller on a slow machine).
"""

from __future__ import annotations

import os
import time

import pytest

from tests.reliability.conftest import wait_until, webhook_items

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(900)]

MENTIONS = int(os.environ.get("RELIABILITY_MENTIONS", "50000"))
BATCH = 500
VISIBILITY_TIMEOUT = 5


def _seed_channel(stack) -> int:
    return stack.manage(
        "from inbox.models import Channel\n"
        "result = Channel.objects.create(name='Webhook reliability', kind='webhook', brand='Telco').pk\n"
    )


def test_a_worker_killed_mid_ingest_and_restarted_stores_every_mention_exactly_once(stack):
    # Given a channel and 50,000 mentions queued in batches of 500 on our own Redis
    channel_id = _seed_channel(stack)
    items = webhook_items(count=MENTIONS, prefix="k")
    client = stack.celery_client()
    for start in range(0, MENTIONS, BATCH):
        client.send_task("inbox.mentions_ingest_batch", args=[channel_id, items[start : start + BATCH]], queue="ingest")
    database = stack.database

    def stored() -> int:
        return database.scalar("SELECT count(*) FROM inbox_mention")

    # When a worker has stored part of them and is then killed with SIGKILL (with its pool)
    started = time.monotonic()
    worker = stack.worker("worker-1", concurrency=2)
    wait_until(lambda: stored() >= MENTIONS // 4, timeout=240, what="a quarter of the ingest")
    worker.kill9()
    stored_at_kill = stored()
    unacked_at_kill = stack.queue_lengths()["unacked"]
    assert 0 < stored_at_kill < MENTIONS, "the kill must land in the middle of the ingest"
    assert unacked_at_kill >= 1, "the killed worker held messages it had not acknowledged"

    # And a new worker starts once the broker's visibility timeout (5 s here, CELERY_VISIBILITY_TIMEOUT)
    # has passed, as a supervisor restarting a crashed container would
    time.sleep(VISIBILITY_TIMEOUT + 1)
    restarted = time.monotonic()
    stack.worker("worker-2", concurrency=2)

    # Then every mention ends up stored
    wait_until(lambda: stored() == MENTIONS, timeout=300, what=f"{MENTIONS} mentions stored")
    finished = time.monotonic()
    # and the broker is drained: nothing left queued or unacknowledged that could add more later
    wait_until(lambda: sum(stack.queue_lengths().values()) == 0, timeout=60, what="the broker to drain")

    # And each exactly once, with the counters written in the same transactions agreeing
    assert stored() == MENTIONS
    assert database.scalar("SELECT count(DISTINCT external_id) FROM inbox_mention") == MENTIONS
    assert (
        database.scalar(
            "SELECT count(*) FROM (SELECT external_id FROM inbox_mention GROUP BY channel_id, external_id "
            "HAVING count(*) > 1) AS duplicated"
        )
        == 0
    )
    assert (
        database.scalar("SELECT coalesce(sum(volume), 0) FROM inbox_mentionminutestat WHERE topic = %s", [""])
        == MENTIONS
    )
    assert database.scalar("SELECT sum(mention_count) FROM inbox_author") == MENTIONS
    print(
        f"\nworker crash: {MENTIONS} mentions, killed at {stored_at_kill} stored / "
        f"{unacked_at_kill} unacked, "
        f"first worker {restarted - started:.1f}s, restart to complete {finished - restarted:.1f}s, "
        f"total {finished - started:.1f}s"
    )
