"""Redis fails over under Sentinel and the product's processes carry on without a restart.

A master, its replica and three Sentinels (quorum 2, the master down after 1 s, a failover given 3 s) are
real `redis-server` processes of this test; the web (Daphne) and a Celery worker are the product's own,
configured with `REDIS_SENTINELS` and `REDIS_SENTINEL_MASTER` only: no process knows the master's address.
Before the failover a webhook batch goes through the web process's broker client to the worker, which
announces it on the channel layer to a console's socket, and an API request counts in the cache's throttle.
Then the master is killed (SIGKILL, as a crashed host), Sentinel promotes the replica, and the same two
processes — same process ids — queue and consume the next batch, announce it to a socket opened after the
failover (what the browser's reconnect does), count the next API request in the promoted master's cache and
read the queue depths on /metrics from it. With the list-based channel layer the socket open during the crash
is closed by the server (1011) and the browser reconnects, as after a Redis restart; with the pub/sub layer
its subscriptions are made again on the promoted master and it hears the next batch too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from websockets.sync.client import ClientConnection, connect

from crisisdesk.metrics import metric_samples
from tests.reliability.conftest import RedisServer, Stack, free_port, wait_until, webhook_items

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(600)]

MASTER_NAME = "crisisdesk"
METRICS_TOKEN = "sentinel-failover-metrics-token-0123456789"
BATCH = 20

SEED = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
from inbox.credentials import credentials_encrypt
from inbox.models import Channel
from tests import factories

channel = Channel.objects.create(name="Webhook sentinel", kind="webhook", brand="Telco",
                                 credentials_encrypted=credentials_encrypt({"token": "tok-sentinel"}))
manager = factories.UserFactory(username="ana", role="community_manager", email="ana@telco.example")
store = SessionStore()
store[SESSION_KEY] = str(manager.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = manager.get_session_auth_hash()
store.create()
result = {"channel": channel.pk, "token": Token.objects.create(user=manager).key, "session": store.session_key,
          "user": manager.pk}
"""


class SentinelServer:
    """`redis-server sentinel.conf --sentinel`, watching the master as `crisisdesk` and quick to decide."""

    def __init__(self, directory: Path, *, master_port: int) -> None:
        self.directory = directory
        self.port = free_port()
        self.master_port = master_port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "sentinel.conf"  # Sentinel rewrites it as it learns the group
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndaemonize no\ndir {self.directory}\n"
            f"logfile {self.directory / 'sentinel.log'}\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master_port} 2\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
            f"sentinel failover-timeout {MASTER_NAME} 3000\n"
            f"sentinel parallel-syncs {MASTER_NAME} 1\n"
        )
        self.process = subprocess.Popen(
            ["redis-server", str(config), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(self.answers, timeout=10, interval=0.05, what="a Sentinel to answer")

    def answers(self) -> bool:
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, decode_responses=True)

    def master(self) -> dict:
        with self.client() as client:
            return client.sentinel_master(MASTER_NAME)

    def named_master_port(self) -> int:
        """The port this Sentinel names as the master's now."""
        with self.client() as client:
            return int(client.sentinel_get_master_addr_by_name(MASTER_NAME)[1])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


class SentinelStack(Stack):
    """The stack's processes configured with the Sentinels only: REDIS_URL is empty."""

    sentinels: list[SentinelServer]

    def env(self, **extra: str) -> dict[str, str]:
        addresses = ",".join(f"127.0.0.1:{sentinel.port}" for sentinel in self.sentinels)
        return super().env(REDIS_URL="", REDIS_SENTINELS=addresses, REDIS_SENTINEL_MASTER=MASTER_NAME, **extra)


@dataclass
class Group:
    master: RedisServer
    replica: RedisServer
    sentinels: list[SentinelServer]

    def master_port(self) -> int:
        """The port the Sentinels agree is the master's now."""
        ports = {sentinel.named_master_port() for sentinel in self.sentinels}
        return ports.pop() if len(ports) == 1 else 0


@pytest.fixture
def group(tmp_path) -> Iterator[Group]:
    """A master, its replica, and three Sentinels that know both and each other."""
    master = RedisServer(tmp_path / "master")
    master.start()
    replica = RedisServer(tmp_path / "replica", arguments=("--replicaof", "127.0.0.1", str(master.port)))
    replica.start()
    sentinels = [SentinelServer(tmp_path / f"sentinel-{n}", master_port=master.port) for n in range(3)]
    try:
        for sentinel in sentinels:
            sentinel.start()

        def settled() -> bool:
            states = [sentinel.master() for sentinel in sentinels]
            return all(state["num-slaves"] == 1 and state["num-other-sentinels"] == 2 for state in states)

        wait_until(settled, timeout=30, interval=0.2, what="the Sentinels to find the replica and each other")
        yield Group(master, replica, sentinels)
    finally:
        for sentinel in sentinels:
            sentinel.stop()
        replica.kill()
        master.kill()


def _console(base_url: str, session: str) -> ClientConnection:
    socket = connect(
        base_url.replace("http://", "ws://") + "/ws/console/",
        additional_headers={"Cookie": f"sessionid={session}", "Origin": base_url},
        open_timeout=10,
        ping_interval=None,
    )
    assert json.loads(socket.recv(timeout=10))["type"] == "hello"
    return socket


def _next_event(socket: ClientConnection, event_type: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message.get("type") == event_type:
            return message


def _server(port: int) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)


def _throttle_counted(port: int, user: int) -> int:
    """The API requests the user's throttle counted in this Redis server: its windows' counters
    (crisisdesk.throttling), under Django's cache key prefix."""
    with _server(port) as server:
        return sum(int(server.get(key) or 0) for key in server.scan_iter(match=f":1:throttle_user_{user}:*"))


def _queue_depth_ingest(base_url: str) -> float:
    response = httpx.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30)
    assert response.status_code == 200, response.text[:300]
    return metric_samples(response.text)[("crisisdesk_celery_queue_depth", (("queue", "ingest"),))]


@pytest.fixture
def stack(own_database, data_dir, tmp_path, group, request) -> Iterator[SentinelStack]:
    stack = SentinelStack(own_database, group.master, tmp_path, data_dir)
    stack.sentinels = group.sentinels
    yield stack
    stack.stop_all()
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        for service in stack.services:
            sys.stderr.write(f"\n===== {service.name} log =====\n{service.tail(80)}\n")


@pytest.mark.parametrize("channel_layer", ["lists", "pubsub"])
def test_after_sentinel_promotes_the_replica_the_same_processes_queue_announce_and_cache(stack, group, channel_layer):
    # Given the web process and a worker that know only the Sentinels
    common = {"CHANNEL_LAYER": channel_layer, "METRICS_TOKEN": METRICS_TOKEN}
    seed = stack.manage(SEED)
    web_service, web = stack.daphne("web", **common)
    worker = stack.worker("worker", concurrency=1, **common)
    pids = (web_service.process.pid, worker.process.pid)
    hook = f"{web}/hooks/webhook/{seed['channel']}/"
    hook_headers = {"Content-Type": "application/json", "Authorization": "Bearer tok-sentinel"}
    api_headers = {"Authorization": f"Token {seed['token']}"}
    database = stack.database

    def stored() -> int:
        return database.scalar("SELECT count(*) FROM inbox_mention")

    # And a batch queued, consumed and announced, and an API request counted, all on the first master
    before = _console(web, seed["session"])
    body = json.dumps(webhook_items(count=BATCH, prefix="before-")).encode()
    assert httpx.post(hook, content=body, headers=hook_headers, timeout=30).status_code in (200, 202)
    assert _next_event(before, "mention.new", timeout=60)["count"] == BATCH
    assert stored() == BATCH
    assert httpx.get(f"{web}/api/mentions/", headers=api_headers, timeout=30).status_code == 200
    assert _throttle_counted(group.master.port, seed["user"]) == 1
    assert _queue_depth_ingest(web) == 0
    with _server(group.master.port) as master:
        assert master.wait(1, 5000) == 1  # the replica has every write so far

    # When the master crashes and the Sentinels promote the replica
    group.master.kill()
    killed_at = time.monotonic()
    wait_until(lambda: group.master_port() == group.replica.port, timeout=60, interval=0.1, what="the failover")
    promoted_after = time.monotonic() - killed_at
    with _server(group.replica.port) as promoted:
        assert promoted.info("replication")["role"] == "master"

    # Then the same web process queues the next batch and the same worker consumes it
    after = wait_until(lambda: _reconnected(web, seed["session"]), timeout=30, interval=0.5, what="a new socket")
    body = json.dumps(webhook_items(count=BATCH, prefix="after-")).encode()
    assert httpx.post(hook, content=body, headers=hook_headers, timeout=30).status_code in (200, 202)
    posted_at = time.monotonic()
    wait_until(lambda: stored() == 2 * BATCH, timeout=60, interval=0.05, what="the next batch to be stored")
    stored_after, resumed_after = time.monotonic() - posted_at, time.monotonic() - killed_at
    # And announces it on the channel layer to the socket opened after the failover
    assert _next_event(after, "mention.new", timeout=60)["count"] == BATCH
    announced_after = time.monotonic() - posted_at
    if channel_layer == "pubsub":  # its subscriptions are made again on the new master: the open socket hears too
        assert _next_event(before, "mention.new", timeout=10)["count"] == BATCH
    assert database.scalar("SELECT count(*) FROM inbox_intake WHERE processed_at IS NULL") == 0
    # And the cache counts the next API request in the promoted master, and /metrics reads its queues
    assert httpx.get(f"{web}/api/mentions/", headers=api_headers, timeout=30).status_code == 200
    assert _throttle_counted(group.replica.port, seed["user"]) == 2
    assert _queue_depth_ingest(web) == 0
    # And nothing was restarted
    assert web_service.alive and worker.alive
    assert (web_service.process.pid, worker.process.pid) == pids
    after.close()
    before.close()
    print(
        f"\nsentinel failover ({channel_layer}): replica promoted {promoted_after:.1f}s after the master's SIGKILL; "
        f"the next batch, posted {posted_at - killed_at:.1f}s after it, stored {stored_after:.2f}s later "
        f"({resumed_after:.1f}s after the SIGKILL) and announced {announced_after:.2f}s after it was posted"
    )


def _reconnected(base_url: str, session: str) -> ClientConnection | None:
    try:
        return _console(base_url, session)
    except (OSError, TimeoutError, AssertionError):
        return None
