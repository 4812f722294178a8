"""A worker's pool processes keep their PostgreSQL connections from task to task.

A backend started per task cost a fifth of ingest throughput (bench/ingest.py); the worker now
keeps one connection per pool process unless DATABASE_CONN_MAX_AGE says otherwise.
"""

from __future__ import annotations

import pytest

from crisisdesk import celery as celery_app
from tests.reliability.conftest import wait_until, webhook_items

pytestmark = [pytest.mark.services, pytest.mark.timeout(180)]

BATCH = 50


def _worker_backends(database) -> set[int]:
    """The open connections to the stack's database other than this query's own."""
    rows = database.sql(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
    )
    return {pid for (pid,) in rows}


def test_the_same_connections_serve_batch_after_batch(stack):
    # Given a worker with two pool processes, started without DATABASE_CONN_MAX_AGE
    channel_id = stack.manage(
        "from inbox.models import Channel\n"
        "result = Channel.objects.create(name='Webhook connections', kind='webhook', brand='Telco').pk\n"
    )
    stack.worker("worker", concurrency=2)
    client = stack.celery_client()
    items = webhook_items(count=40 * BATCH, prefix="c")

    def ingest(first: int, last: int) -> None:
        for start in range(first * BATCH, last * BATCH, BATCH):
            client.send_task(
                "inbox.mentions_ingest_batch", args=[channel_id, items[start : start + BATCH]], queue="ingest"
            )
        wait_until(
            lambda: stack.database.scalar("SELECT count(*) FROM inbox_mention") >= last * BATCH,
            timeout=120,
            what=f"{last * BATCH} mentions stored",
        )

    # When it has ingested twenty batches, and then twenty more
    ingest(0, 20)
    after_first = _worker_backends(stack.database)
    ingest(20, 40)
    after_second = _worker_backends(stack.database)

    # Then the connections that served the first twenty are still open and served the rest: no new backend
    assert after_first, "the pool processes closed their connections after their tasks"
    assert after_second <= after_first


def test_an_explicit_max_age_is_kept(monkeypatch):
    from django.conf import settings

    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "0")
    celery_app.worker_connections_persistent()
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0

    monkeypatch.delenv("DATABASE_CONN_MAX_AGE")
    celery_app.worker_connections_persistent()
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == celery_app.WORKER_CONN_MAX_AGE  # PostgreSQL in tests
