"""Load on loopback: many console websockets and a steady API rate against the real web, with latencies.

    python bench/load.py            # 1,000 websockets + 200 API requests/s for 5 minutes
    python bench/load.py --quick    # CI: 50 websockets + 20 requests/s for 10 seconds

The web runs the production way, `manage.py serve --no-worker --web-processes N` (N Daphne processes on
one port, each with a bounded pool of DATABASE_POOL_SIZE connections), on a throw-away database
(`crisisdesk_bench_load`, migrated, seeded, analysed as autovacuum would, dropped) and a private
`redis-server` on a free port (its channel layer and cache), so nothing shared is touched.
The API load is open-loop (requests start on schedule, not when the previous one ends) on
`GET /api/mentions/` (a page of 50) from a team of community managers, each with a token, under the
production throttle; once a second a `mention.new` event is published to the `inbox` group and its
delivery to every socket is timed. An error is any non-200 answer, any transport failure, any socket
that fails to open or closes early, and any event that does not reach every socket. Requests the
generator could not send on schedule are reported, never hidden. The run is bounded in time and in count
and stops by itself; the exit code is 1 if there was an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DATABASE = "crisisdesk_bench_load"
PREFIX = "bench_load"
LATE_SECONDS = 30.0
MAX_IN_FLIGHT = 1000
HANDSHAKES = 20
HTTP_CONNECTIONS = 200
TEAM = 20  # community managers sharing the API rate, each under the production throttle
SEED = """  # run with TEAM defined before it
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from rest_framework.authtoken.models import Token
from crisisdesk.models import User
from inbox.connectors.base import NormalizedAuthor, NormalizedMention
from inbox.models import Channel
from inbox.services import mentions_ingest
from django.db import connection
team = [User.objects.create_user(f"load{n}", password="load-pass-123", role="community_manager")
        for n in range(TEAM)]
user = team[0]
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
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
print("SEED=" + ",".join([store.session_key] + [Token.objects.create(user=member).key for member in team]))
"""


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (the web processes under `serve`)."""
    import psutil

    total = 0.0
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


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


class HttpConnections:
    """GETs over raw asyncio HTTP/1.1 keep-alive connections, at most `limit` at once.

    The generator shares the machine's cores with the server; httpx spent about a millisecond of CPU per
    request, this reads the status line, the headers and exactly the body, and little else.
    """

    def __init__(self, *, host: str, port: int, limit: int) -> None:
        self.host = host
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(limit)
        self.reused_closed = 0

    async def get(self, path: str, headers: bytes) -> tuple[int, bytes, bytes]:
        """A GET on a kept-alive connection if there is one. The server closes a connection idle for a
        minute (Twisted's default); a GET on such a connection that gets no byte back is sent again on
        a new one, as HTTP clients do with idempotent requests, and counted in `reused_closed`."""
        async with self.slots:
            if self.idle:
                reader, writer = self.idle.pop()
                try:
                    return await self._exchange(reader, writer, path, headers)
                except (asyncio.IncompleteReadError, ConnectionResetError) as error:
                    if isinstance(error, asyncio.IncompleteReadError) and error.partial:
                        raise
                    self.reused_closed += 1
            reader, writer = await asyncio.open_connection(self.host, self.port)
            return await self._exchange(reader, writer, path, headers)

    async def _exchange(self, reader, writer, path: str, headers: bytes) -> tuple[int, bytes, bytes]:
        """(status, body, the ETag as sent, or b"")."""
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n".encode() + headers + b"\r\n")
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            fields, etag = {}, b""
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                fields[name.strip().lower()] = value.strip().lower()
                if name.strip().lower() == b"etag":
                    etag = value.strip()
            if b"chunked" in fields.get(b"transfer-encoding", b""):
                body = await self._chunked(reader)
            elif b"content-length" in fields:
                body = await reader.readexactly(int(fields[b"content-length"]))
            else:
                body = await reader.read()
                fields[b"connection"] = b"close"
        except BaseException:
            writer.close()
            raise
        if fields.get(b"connection") == b"close":
            writer.close()
        else:
            self.idle.append((reader, writer))
        return status, body, etag

    @staticmethod
    async def _chunked(reader: asyncio.StreamReader) -> bytes:
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        return b"".join(parts)

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


class Load:
    def __init__(
        self,
        *,
        base_url: str,
        session: str,
        tokens: list[str],
        sockets: int,
        rate: float,
        seconds: float,
        server_pid: int,
        revalidate: bool = False,
    ) -> None:
        self.base_url = base_url
        # As a browser polling with `Cache-Control: no-cache`: each console sends its last ETag back.
        self.revalidate = revalidate
        self.etags: dict[bytes, bytes] = {}
        self.not_modified = 0
        self.server_pid = server_pid
        self.database_connections: list[int] = []
        self.session = session
        self.tokens = [f"Authorization: Token {token}\r\n".encode() for token in tokens]
        self.sockets = sockets
        self.rate = rate
        self.seconds = seconds
        self.errors: Counter[str] = Counter()  # every error counted, by message (at most 1,000 kinds)
        self.error_seconds: dict[str, list[float]] = {}  # first and last time of each, into the run
        self.run_started = time.monotonic()
        self.api_latencies: list[float] = []
        self.connect_latencies: list[float] = []
        self.delivery_latencies: list[float] = []
        self.events_sent = 0
        self.events_received = 0
        self.open_sockets = 0
        self.late_requests = 0
        self.reused_closed = 0
        self.handshakes = asyncio.Semaphore(HANDSHAKES)
        self.shed = 0
        self.not_sent = 0

    def error(self, message: str) -> None:
        if message in self.errors or len(self.errors) < 1000:
            self.errors[message] += 1
            now = round(time.monotonic() - self.run_started, 1)
            self.error_seconds.setdefault(message, [now, now])[1] = now

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
        host, port = self.base_url.removeprefix("http://").split(":")
        client = HttpConnections(host=host, port=int(port), limit=HTTP_CONNECTIONS)
        tasks: list[asyncio.Task] = []
        interval = 1.0 / self.rate
        next_at = time.monotonic()
        in_flight: set[asyncio.Task] = set()
        sent = 0
        while time.monotonic() < stop_at:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if len(in_flight) >= MAX_IN_FLIGHT:
                self.shed += 1
                self.error(f"more than {MAX_IN_FLIGHT} requests in flight: the server is not keeping up")
            else:
                task = asyncio.create_task(self.api_request(client, self.tokens[sent % len(self.tokens)], next_at))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
                tasks.append(task)
                sent += 1
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
        self.reused_closed = client.reused_closed
        client.close()

    async def api_request(self, client: HttpConnections, token: bytes, scheduled: float) -> None:
        headers = token
        if self.revalidate and token in self.etags:
            headers += b"If-None-Match: " + self.etags[token] + b"\r\n"
        try:
            status, body, etag = await asyncio.wait_for(client.get("/api/mentions/", headers), 30)
            if status not in (200, 304) or (status == 304 and not self.revalidate):
                self.error(f"GET /api/mentions/ → {status} {body[:200]!r}")
                return
            if status == 304:
                self.not_modified += 1
            elif etag:
                self.etags[token] = etag
            self.api_latencies.append(time.monotonic() - scheduled)
        except Exception as error:
            self.error(f"GET /api/mentions/: {type(error).__name__}: {error}")

    async def publisher(self, stop_at: float) -> None:
        from channels.layers import get_channel_layer

        from crisisdesk.realtime import console_message

        layer = get_channel_layer()  # the product's own layer, configured as the web's (see main)
        while time.monotonic() < stop_at - 1.5:
            payload = {
                "type": "mention.new",
                "version": 1,
                "count": 1,
                "mentions": [],
                "load_sent_at": time.time(),
            }
            await layer.group_send("inbox", console_message(payload))
            self.events_sent += 1
            await asyncio.sleep(1.0)

    async def connections_sampler(self, stop_at: float) -> None:
        """How many PostgreSQL connections the web holds: the pools must bound it."""
        import psycopg2

        def count() -> int:
            with (
                contextlib.closing(
                    psycopg2.connect(host=common.PG_HOST, port=common.PG_PORT, user=common.PG_USER, dbname="postgres")
                ) as connection,
                connection.cursor() as cursor,
            ):
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [DATABASE])
                return cursor.fetchone()[0]

        while time.monotonic() < stop_at:
            self.database_connections.append(await asyncio.to_thread(count))
            await asyncio.sleep(5.0)

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
        started = self.run_started = time.monotonic()
        stop_at = started + self.seconds
        generator_cpu = time.process_time()
        server_cpu = tree_cpu_seconds(self.server_pid)
        await asyncio.gather(self.api_load(stop_at), self.publisher(stop_at), self.connections_sampler(stop_at))
        elapsed = time.monotonic() - started
        generator_cpu = time.process_time() - generator_cpu
        server_cpu = tree_cpu_seconds(self.server_pid) - server_cpu
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
            "api_requests_not_modified": self.not_modified,
            "api_rate_achieved": round(len(self.api_latencies) / self.seconds, 1),
            "seconds": round(elapsed, 1),
            "api_latency": percentiles(self.api_latencies),
            "socket_connect_latency": percentiles(self.connect_latencies),
            "events_published": self.events_sent,
            "event_deliveries": self.events_received,
            "event_delivery_latency": percentiles(self.delivery_latencies),
            "api_requests_late": self.late_requests,
            "api_requests_resent_idle_connection_closed": self.reused_closed,
            "api_requests_shed": self.shed,
            "api_requests_not_sent_generator_behind": self.not_sent,
            "database_connections_max": max(self.database_connections, default=0),
            "cpu_seconds_web_processes": round(server_cpu, 1),
            "cpu_seconds_generator": round(generator_cpu, 1),
            "errors": self.errors.total(),
            "error_samples": [
                f"{count} × {message} (from {self.error_seconds[message][0]} s to {self.error_seconds[message][1]} s)"
                for message, count in self.errors.most_common(10)
            ],
        }


def seed(env: dict[str, str]) -> tuple[str, list[str]]:
    """The load's data on a migrated database: mentions, a team of community managers with tokens, one
    console session; (the session key, the tokens)."""
    run = subprocess.run(
        [common.PYTHON, "manage.py", "shell", "-c", f"TEAM = {TEAM}\n{SEED}"],
        cwd=common.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if run.returncode:
        raise SystemExit(f"Seeding the load database failed:\n{run.stderr[-3000:]}")
    session, *tokens = next(line for line in run.stdout.splitlines() if line.startswith("SEED="))[5:].split(",")
    return session, tokens


def web_ready(base_url: str, server: subprocess.Popen, log: Path) -> None:
    """Every web process answers (any status: /healthz also reports the absent worker); each new
    connection may land on any of them, so ask a few times."""
    import httpx

    deadline = time.monotonic() + 90
    answered = 0
    while answered < 20:
        try:
            httpx.get(f"{base_url}/healthz", timeout=2, headers={"Connection": "close"})
            answered += 1
            continue
        except httpx.HTTPError:
            answered = 0
        if time.monotonic() > deadline or server.poll() is not None:
            raise RuntimeError("the web did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.3)


def main() -> int:
    parser = common.arguments(__doc__, quick_help="CI size: 50 sockets, 20 requests/s, 10 s")
    parser.add_argument("--sockets", type=int)
    parser.add_argument("--rate", type=float)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--web-processes", type=int, help="web processes (default: one per core)")
    parser.add_argument("--server", choices=("daphne", "uvicorn"), default="daphne", help="`serve --server`")
    parser.add_argument(
        "--revalidate", action="store_true", help="each console sends its last ETag back (If-None-Match)"
    )
    parser.add_argument("--pool-size", type=int, default=8, help="database connections per web process")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    sockets = args.sockets or (50 if args.quick else 1000)
    rate = args.rate or (20.0 if args.quick else 200.0)
    seconds = args.seconds or (10.0 if args.quick else 300.0)
    web_processes = args.web_processes or max(2, os.cpu_count() or 1)
    if sockets > 5000 or rate > 2000 or seconds > 3600:
        parser.error("bounded: at most 5,000 sockets, 2,000 requests/s and one hour")
    if not 1 <= web_processes <= 16 or not 1 <= args.pool_size <= 20:
        parser.error("bounded: 1 to 16 web processes of 1 to 20 database connections (PostgreSQL is shared)")

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
    server = None
    try:
        common.database_create(DATABASE)
        env = common.bench_env(
            database=DATABASE,
            prefix=PREFIX,
            REDIS_URL=redis_url,
            CRISISDESK_DATA_DIR=str(directory),
            TRIAGE_MODEL_TIER="0",
            DATABASE_POOL_SIZE=str(args.pool_size),
            API_THROTTLE_USER="6000/min",  # the production default: the team's members share the rate
        )
        common.migrate(env)
        session, tokens = seed(env)
        port = common.free_port()
        server = subprocess.Popen(
            [
                common.PYTHON,
                "manage.py",
                "serve",
                "--no-demo",
                "--no-worker",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--web-processes",
                str(web_processes),
                "--server",
                args.server,
            ],
            cwd=common.ROOT,
            env=env,
            stdout=(directory / "web.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base_url = f"http://127.0.0.1:{port}"
        web_ready(base_url, server, directory / "web.log")
        load = Load(
            base_url=base_url,
            session=session,
            tokens=tokens,
            sockets=sockets,
            rate=rate,
            seconds=seconds,
            server_pid=server.pid,
            revalidate=args.revalidate,
        )
        common.django_setup(env)  # events are published through the web's own channel layer settings
        report = asyncio.run(load.run())
        report["web_processes"] = web_processes
        report["web_server"] = args.server
        report["database_pool_per_process"] = args.pool_size
        report["machine"] = common.machine()
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(10)
        redis.terminate()
        redis.wait(10)
        common.connections_close()
        common.database_drop(DATABASE)
        shutil.rmtree(directory, ignore_errors=True)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
