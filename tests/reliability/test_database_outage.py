"""The database goes away: pages and the API answer a clean JSON 503, workers retry, nothing is half-written.

The outage is simulated on the test's own database only: new connections are refused
(ALLOW_CONNECTIONS false) and every open one is terminated with pg_terminate_backend.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.reliability.conftest import seed_session, wait_until, webhook_items

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(900)]

OUTAGE_SECONDS = 4
BATCHES = 8
BATCH = 250
MONITORING_TOKEN = "reliability-monitoring-token"


def test_requests_get_a_clean_503_during_an_outage_and_everything_recovers_by_itself(stack):
    # Given the web process and a worker on our own database, a logged-in community manager and a channel
    session = seed_session(stack)
    channel_id = stack.manage(
        "from inbox.models import Channel\n"
        "result = Channel.objects.create(name='Webhook outage', kind='webhook', brand='Telco').pk\n"
    )
    _, base_url = stack.daphne(HEALTHZ_TOKEN=MONITORING_TOKEN)
    stack.worker("worker", concurrency=2)
    http = httpx.Client(base_url=base_url, cookies={"sessionid": session}, timeout=10)
    anonymous = httpx.Client(base_url=base_url, timeout=10)
    monitor = httpx.Client(base_url=base_url, timeout=10, headers={"Authorization": f"Bearer {MONITORING_TOKEN}"})
    assert http.get("/api/mentions/").status_code == 200
    assert http.get("/inbox/").status_code == 200
    database = stack.database

    # When the database refuses connections and drops the open ones
    terminated = database.cut()
    cut_at = time.monotonic()
    # and mentions arrive for the worker meanwhile
    client = stack.celery_client()
    items = webhook_items(count=BATCHES * BATCH, prefix="o")
    for start in range(0, len(items), BATCH):
        client.send_task("inbox.mentions_ingest_batch", args=[channel_id, items[start : start + BATCH]], queue="ingest")

    # Then pages, the API and anonymous pages answer 503 with a JSON reason and Retry-After, never a 500
    try:
        for path, client_used in [
            ("/api/mentions/", http),
            ("/inbox/", http),
            ("/inbox/rows/", http),
            ("/api/escalations/", http),
        ]:
            response = client_used.get(path)
            assert response.status_code == 503, (path, response.status_code, response.text[:300])
            assert response.headers["content-type"].startswith("application/json"), path
            assert response.headers["Retry-After"] == "5"
            assert "database" in response.json()["detail"].lower()
        # (the login form needs no database and is still served)
        assert anonymous.get("/login/").status_code == 200
        # and /healthz says "failing" to anyone, and why only to the monitor holding HEALTHZ_TOKEN
        health = anonymous.get("/healthz")
        assert (health.status_code, health.json()) == (503, {"status": "failing"})
        health = monitor.get("/healthz")
        assert health.status_code == 503
        assert health.json()["database"]["ok"] is False
        # and a write during the outage is refused as a whole
        assert http.post("/api/mentions/1/close/", headers={"X-CSRFToken": "x"}).status_code in (403, 503)
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))
    finally:
        # When the database comes back
        database.restore()
    restored_at = time.monotonic()

    # Then the web process serves again without a restart
    wait_until(
        lambda: http.get("/api/mentions/").status_code == 200,
        timeout=30,
        interval=0.1,
        what="the API to answer 200 again",
    )
    web_recovery = time.monotonic() - restored_at
    assert http.get("/inbox/").status_code == 200

    # And the worker's retries store every mention, exactly once, with counters that agree
    wait_until(
        lambda: database.scalar("SELECT count(*) FROM inbox_mention") == len(items),
        timeout=120,
        what="the worker's retries to store every mention",
    )
    ingest_recovery = time.monotonic() - restored_at
    wait_until(lambda: sum(stack.queue_lengths().values()) == 0, timeout=60, what="the broker to drain")
    assert database.scalar("SELECT count(DISTINCT external_id) FROM inbox_mention") == len(items)
    assert database.scalar("SELECT sum(volume) FROM inbox_mentionminutestat WHERE topic = ''") == len(items)
    assert database.scalar("SELECT sum(mention_count) FROM inbox_author") == len(items)
    assert database.scalar("SELECT count(*) FROM inbox_deadletter") == 0
    print(
        f"\ndatabase outage: {terminated} connections terminated, {OUTAGE_SECONDS}s outage, "
        f"web answered 200 {web_recovery:.2f}s after the database returned, "
        f"{len(items)} mentions stored {ingest_recovery:.1f}s after"
    )


@pytest.mark.parametrize(
    "connections",
    [{"DATABASE_CONN_MAX_AGE": "60"}, {"DATABASE_POOL_SIZE": "2"}],
    ids=["persistent", "pooled"],
)
def test_a_terminated_connection_is_replaced_without_an_error(stack, connections):
    # Given the web process with open connections: persistent (max age with health checks) or pooled
    session = seed_session(stack)
    _, base_url = stack.daphne(**connections)
    http = httpx.Client(base_url=base_url, cookies={"sessionid": session}, timeout=10)
    assert [http.get("/api/mentions/").status_code for _ in range(3)] == [200] * 3

    # When PostgreSQL terminates them (an administrator, a failover, an idle timeout) but stays up
    assert stack.database.cut() >= 1
    stack.database.restore()

    # Then the next requests reconnect and succeed: a dead connection is never a user's error
    statuses = [http.get("/api/mentions/").status_code for _ in range(5)]
    assert statuses == [200] * 5


def test_the_pooled_web_answers_503_during_an_outage_and_recovers_by_itself(stack):
    # Given the web process lending pooled connections, already open
    session = seed_session(stack)
    _, base_url = stack.daphne(DATABASE_POOL_SIZE="2")
    http = httpx.Client(base_url=base_url, cookies={"sessionid": session}, timeout=10)
    assert [http.get("/api/mentions/").status_code for _ in range(3)] == [200] * 3

    # When the database refuses connections and drops the open ones
    stack.database.cut()
    try:
        # Then the pooled connections are found dead before use and the answer is the clean 503
        for _ in range(3):
            response = http.get("/api/mentions/")
            assert response.status_code == 503, response.text[:300]
            assert response.headers["Retry-After"] == "5"
    finally:
        stack.database.restore()

    # And the pool opens new connections once the database is back, without a restart
    wait_until(
        lambda: http.get("/api/mentions/").status_code == 200,
        timeout=30,
        interval=0.1,
        what="the API to answer 200 again",
    )
    assert [http.get("/api/mentions/").status_code for _ in range(5)] == [200] * 5
