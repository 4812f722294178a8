"""Load on loopback: many console websockets and a steady API rate against one real Daphne, with latencies.

    python bench/load.py            # 1,000 websockets + 200 API requests/s for 5 minutes
    python bench/load.py --quick    # CI: 50 websockets + 20 requests/s for 10 seconds

Daphne runs as a subprocess on a throw-away database (`crisisdesk_bench_load`, migrated and dropped)
and a private `redis-server` on a free port (its channel layer and cache), so nothing shared is touched.
The API load is open-loop (requests start on schedule, not when the previous one ends) on
`GET /api/mentions/` with a token; once a second a `mention.new` event is published to the `inbox`
group and its delivery to every socket is timed. An error is any non-200 answer, any transport failure,
any socket that fails to open or closes early, and any event that does not reach every socket.
The run is bounded in time and in count and stops by itself; the exit code is 1 if there was an error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DATABASE = "crisisdesk_bench_load"
PREFIX = "bench_load"
LATE_SECONDS = 30.0
MAX_IN_FLIGHT = 1000
HANDSHAKES = 20
SEED = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from rest_framework.authtoken.models import Token
from crisisdesk.models import User
from inbox.connectors.base import NormalizedAuthor, NormalizedMention
from inbox.models import Channel
from inbox.services import mentions_ingest
user = User.objects.create_user("load", password="load-pass-123", role="community_manager")
channel = Channel.objects.create(name="Load", kind="webhook", brand="Telco")
now = timezone.now()
mentions_ingest(channel=channel, mentions=[
    NormalizedMention(external_id=f"l{n}", text=f"Sin servicio en la zona {n}", posted_at=now,
                      author=NormalizedAuthor(external_id=f"a{n % 300}", handle=f"cliente{n % 300}"))
    for n in range(2000)
])
store = SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
print("SEED=" + store.session_key + "," + Token.objects.create(user=user).key)
"""


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)

    return {
        "count": len(ordered),
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


class Load:
    def __init__(
        self,
        *,
        base_url: str,
        session: str,
        token: str,
        sockets: int,
        rate: float,
        seconds: float,
        redis_url: str,
    ) -> None:
        self.base_url = base_url
        self.session = session
        self.token = token
        self.sockets = sockets
        self.rate = rate
        self.seconds = seconds
        self.redis_url = redis_url
        self.errors: list[str] = []
        self.api_latencies: list[float] = []
        self.connect_latencies: list[float] = []
        self.delivery_latencies: list[float] = []
        self.events_sent = 0
        self.events_received = 0
        self.open_sockets = 0
        self.late_requests = 0
        self.handshakes = asyncio.Semaphore(HANDSHAKES)
        self.shed = 0
        self.not_sent = 0

    def error(self, message: str) -> None:
        if len(self.errors) < 1000:
            self.errors.append(message)

    async def socket_client(self, number: int, stop: asyncio.Event, ready: asyncio.Event) -> None:
        from websockets.asyncio.client import connect

        async with self.handshakes:  # a bounded number of handshakes at once
            started = time.monotonic()
            try:
                socket = await connect(
                    self.base_url.replace("http://", "ws://") + "/ws/console/",
                    additional_headers={"Cookie": f"sessionid={self.session}", "Origin": self.base_url},
                    open_timeout=60,
                    ping_interval=None,
                    max_queue=None,
                )
                hello = json.loads(await asyncio.wait_for(socket.recv(), 60))
            except Exception as error:  # any failure of a socket is an error of the run
                self.error(f"socket {number}: {type(error).__name__}: {error}")
                return
        if hello.get("type") != "hello":
            self.error(f"socket {number}: first message {hello.get('type')!r}")
            return
        self.connect_latencies.append(time.monotonic() - started)
        self.open_sockets += 1
        if self.open_sockets == self.sockets:
            ready.set()
        try:
            async with socket:
                while not stop.is_set():
                    try:
                        message = json.loads(await asyncio.wait_for(socket.recv(), 1.0))
                    except TimeoutError:
                        continue
                    if message.get("type") == "mention.new" and "load_sent_at" in message:
                        self.events_received += 1
                        self.delivery_latencies.append(time.time() - message["load_sent_at"])
        except Exception as error:
            self.error(f"socket {number} closed early: {type(error).__name__}: {error}")

    async def api_load(self, stop_at: float) -> None:
        import httpx

        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(
            base_url=self.base_url,
            limits=limits,
            timeout=30,
            headers={"Authorization": f"Token {self.token}"},
        ) as client:
            tasks: list[asyncio.Task] = []
            interval = 1.0 / self.rate
            next_at = time.monotonic()
            in_flight: set[asyncio.Task] = set()
            while time.monotonic() < stop_at:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                if len(in_flight) >= MAX_IN_FLIGHT:
                    self.shed += 1
                    self.error(f"more than {MAX_IN_FLIGHT} requests in flight: the server is not keeping up")
                else:
                    task = asyncio.create_task(self.api_request(client, next_at))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                    tasks.append(task)
                next_at += interval
                if next_at < time.monotonic() - 1.0:  # the generator itself fell behind: say so, skip ahead
                    missed = int((time.monotonic() - next_at) / interval)
                    self.not_sent += missed
                    next_at += missed * interval
            # Requests still unanswered this long after the end count as errors; the run never hangs.
            done, late = await asyncio.wait(tasks, timeout=LATE_SECONDS) if tasks else (set(), set())
            for task in late:
                task.cancel()
            if late:
                self.error(f"{len(late)} requests unanswered {LATE_SECONDS:.0f}s after the end of the run")
                self.late_requests = len(late)

    async def api_request(self, client, scheduled: float) -> None:
        try:
            response = await client.get("/api/mentions/")
            if response.status_code != 200:
                self.error(f"GET /api/mentions/ → {response.status_code}")
                return
            self.api_latencies.append(time.monotonic() - scheduled)
        except Exception as error:
            self.error(f"GET /api/mentions/: {type(error).__name__}: {error}")

    async def publisher(self, stop_at: float) -> None:
        from channels_redis.core import RedisChannelLayer

        layer = RedisChannelLayer(hosts=[self.redis_url], prefix=PREFIX, capacity=5000, expiry=30)
        while time.monotonic() < stop_at - 1.5:
            payload = {
                "type": "mention.new",
                "version": 1,
                "count": 1,
                "mentions": [],
                "load_sent_at": time.time(),
            }
            await layer.group_send("inbox", {"type": "console.event", "event": payload})
            self.events_sent += 1
            await asyncio.sleep(1.0)

    async def run(self) -> dict:
        stop = asyncio.Event()
        ready = asyncio.Event()
        connect_started = time.monotonic()
        clients = []
        for number in range(self.sockets):
            clients.append(asyncio.create_task(self.socket_client(number, stop, ready)))
            if number % 50 == 49:
                await asyncio.sleep(0.05)
        try:
            await asyncio.wait_for(ready.wait(), timeout=max(60.0, self.sockets / 4))
        except TimeoutError:
            self.error(f"only {self.open_sockets} of {self.sockets} sockets opened")
        connect_seconds = time.monotonic() - connect_started
        started = time.monotonic()
        stop_at = started + self.seconds
        await asyncio.gather(self.api_load(stop_at), self.publisher(stop_at))
        elapsed = time.monotonic() - started
        await asyncio.sleep(1.0)
        stop.set()
        await asyncio.gather(*clients)
        expected = self.events_sent * self.sockets
        if self.events_received != expected:
            self.error(f"{expected - self.events_received} of {expected} event deliveries missing")
        return {
            "sockets": self.sockets,
            "sockets_opened": len(self.connect_latencies),
            "sockets_open_seconds": round(connect_seconds, 1),
            "api_rate_target": self.rate,
            "api_requests": len(self.api_latencies),
            "api_rate_achieved": round(len(self.api_latencies) / self.seconds, 1),
            "seconds": round(elapsed, 1),
            "api_latency": percentiles(self.api_latencies),
            "socket_connect_latency": percentiles(self.connect_latencies),
            "events_published": self.events_sent,
            "event_deliveries": self.events_received,
            "event_delivery_latency": percentiles(self.delivery_latencies),
            "api_requests_late": self.late_requests,
            "api_requests_shed": self.shed,
            "api_requests_not_sent_generator_behind": self.not_sent,
            "errors": len(self.errors),
            "error_samples": self.errors[:10],
        }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="CI size: 50 sockets, 20 requests/s, 10 s")
    parser.add_argument("--sockets", type=int)
    parser.add_argument("--rate", type=float)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    sockets = args.sockets or (50 if args.quick else 1000)
    rate = args.rate or (20.0 if args.quick else 200.0)
    seconds = args.seconds or (10.0 if args.quick else 300.0)
    if sockets > 5000 or rate > 2000 or seconds > 3600:
        parser.error("bounded: at most 5,000 sockets, 2,000 requests/s and one hour")

    # A thousand sockets plus the API's connections pass the usual soft limit of 1,024 open files,
    # here and in Daphne (which inherits it).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 4 * sockets + 2048))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    directory = Path(tempfile.mkdtemp(prefix="crisisdesk-load-"))
    redis_port = common.free_port()
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--maxclients",
            "10000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    daphne = None
    try:
        common.database_create(DATABASE)
        env = common.bench_env(
            database=DATABASE,
            prefix=PREFIX,
            REDIS_URL=redis_url,
            CRISISDESK_DATA_DIR=str(directory),
            TRIAGE_MODEL_TIER="0",
        )
        common.migrate(env)
        seeded = subprocess.run(
            [common.PYTHON, "manage.py", "shell", "-c", SEED],
            cwd=common.ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        ).stdout
        session, token = next(line for line in seeded.splitlines() if line.startswith("SEED="))[5:].split(",")
        port = common.free_port()
        daphne = subprocess.Popen(
            [
                common.PYTHON,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "crisisdesk.asgi:application",
            ],
            cwd=common.ROOT,
            env=env,
            stdout=(directory / "daphne.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base_url = f"http://127.0.0.1:{port}"
        import httpx

        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{base_url}/healthz", timeout=2)
                break
            if time.monotonic() > deadline or daphne.poll() is not None:
                raise RuntimeError("daphne did not start:\n" + (directory / "daphne.log").read_text()[-3000:])
            time.sleep(0.3)
        load = Load(
            base_url=base_url,
            session=session,
            token=token,
            sockets=sockets,
            rate=rate,
            seconds=seconds,
            redis_url=redis_url,
        )
        report = asyncio.run(load.run())
        report["machine"] = common.machine()
    finally:
        if daphne is not None and daphne.poll() is None:
            os.killpg(daphne.pid, signal.SIGTERM)
            try:
                daphne.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(daphne.pid, signal.SIGKILL)
                daphne.wait(10)
        redis.terminate()
        redis.wait(10)
        common.database_drop(DATABASE)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
