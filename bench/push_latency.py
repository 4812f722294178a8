"""Websocket push latency: escalation raised through the API → event on the department head's socket.

    python bench/push_latency.py [--quick] [--sockets 1000] [--requests 200]

The web runs the production way, as docker-compose runs it: `manage.py serve --no-worker
--web-processes 2` (two Daphne processes on one port, each with a pool of 8 database connections),
with channels_redis' list-based layer (the default); `--layer pubsub` measures the pub/sub layer.
1,000 websocket clients connect to /ws/console/ with the session cookies of 1,000 users
(community managers, heads of ten departments, directors), so each escalation fans out to its
department's heads and every director as in production. A community manager then raises
escalations one at a time with POST /api/escalations/ (token auth); the clock runs from just
before the request is sent to the moment the designated head's socket receives the event
carrying that request's id. Every loop is bounded by count and by time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DATABASE = "crisisdesk_bench_push"
PREFIX = "bench_push"
DEPARTMENTS = 10
EVENT_TIMEOUT = 5.0


def fixtures_create(*, sockets: int) -> dict:
    """Users of every role with sessions; returns session keys, the measured head and an API token."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    from crisisdesk.models import User
    from escalation.models import Department

    departments = [
        Department.objects.create(name=f"Departamento {number}", slug=f"dept-{number}")
        for number in range(DEPARTMENTS)
    ]
    heads_total = max(DEPARTMENTS, int(sockets * 0.3))
    directors = max(1, int(sockets * 0.1))
    roles = ["department_head"] * heads_total + ["director"] * directors
    roles += ["community_manager"] * max(1, sockets - len(roles))
    users = User.objects.bulk_create(
        [
            User(username=f"user{number}", role=role, first_name=f"U{number}", password="!")
            for number, role in enumerate(roles[:sockets])
        ]
    )
    heads = [user for user in users if user.role == "department_head"]
    for number, head in enumerate(heads):
        department = departments[number % DEPARTMENTS]
        department.heads.add(head)
        department.members.add(head)
    session_keys = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        session_keys.append(session.session_key)
    raiser = next(user for user in users if user.role == "community_manager")
    return {
        "session_keys": session_keys,
        "measured_index": users.index(heads[0]),
        "department": departments[0].slug,
        "department_id": departments[0].pk,
        "token": Token.objects.create(user=raiser).key,
    }


async def run_clients(*, port: int, fixtures: dict, requests: int, connect_timeout: float) -> dict:
    import httpx
    import websockets

    measured_events: asyncio.Queue = asyncio.Queue()
    received = {"events": 0}
    origin = f"http://127.0.0.1:{port}"
    url = f"ws://127.0.0.1:{port}/ws/console/"

    async def client(index: int, key: str, ready: asyncio.Event) -> None:
        async with websockets.connect(
            url,
            additional_headers={"Cookie": f"sessionid={key}"},
            origin=origin,
            open_timeout=connect_timeout,
            max_queue=None,
            ping_interval=None,
        ) as socket:
            hello = json.loads(await socket.recv())
            if hello.get("type") != "hello":
                raise RuntimeError(f"socket {index} did not get hello: {hello}")
            ready.set()
            async for message in socket:
                arrived = time.perf_counter()
                received["events"] += 1
                if index == fixtures["measured_index"]:
                    measured_events.put_nowait((arrived, json.loads(message)))

    readies = []
    tasks = []
    started = time.perf_counter()
    keys = fixtures["session_keys"]
    for offset in range(0, len(keys), 50):
        wave = []
        for index in range(offset, min(len(keys), offset + 50)):
            ready = asyncio.Event()
            readies.append(ready)
            wave.append(ready)
            tasks.append(asyncio.create_task(client(index, keys[index], ready)))
        await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in wave)), timeout=connect_timeout)
        failed = [task for task in tasks if task.done() and task.exception()]
        if failed:
            raise RuntimeError(f"a websocket failed: {failed[0].exception()!r}")
    connect_seconds = time.perf_counter() - started
    print(f"push: {len(tasks)} websockets connected in {connect_seconds:.1f}s", flush=True)

    latencies: list[float] = []
    http_times: list[float] = []
    missed = 0
    headers = {"Authorization": f"Token {fixtures['token']}"}
    async with httpx.AsyncClient(base_url=origin, headers=headers, timeout=10.0) as http:
        for number in range(requests + 3):
            while not measured_events.empty():
                measured_events.get_nowait()
            sent = time.perf_counter()
            response = await http.post(
                "/api/escalations/",
                json={"department": fixtures["department"], "question": f"¿Hay avería en la zona {number}?"},
            )
            answered = time.perf_counter()
            if response.status_code != 201:
                raise RuntimeError(f"POST /api/escalations/ → {response.status_code}: {response.text[:300]}")
            request_id = response.json()["id"]
            deadline = sent + EVENT_TIMEOUT
            arrived = None
            while arrived is None:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                try:
                    moment, payload = await asyncio.wait_for(measured_events.get(), timeout=remaining)
                except TimeoutError:
                    break
                if payload.get("request_id") == request_id:
                    arrived = moment
            if number < 3:
                continue  # warm-up: first requests pay for imports and connections
            if arrived is None:
                missed += 1
            else:
                latencies.append(arrived - sent)
                http_times.append(answered - sent)
            await asyncio.sleep(0.02)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "latencies": latencies,
        "http": http_times,
        "missed": missed,
        "events": received["events"],
        "sockets": len(tasks),
        "connect_seconds": connect_seconds,
    }


def main() -> int:
    args = _arguments()
    with common.exclusive():
        return _main(args)


def _arguments() -> argparse.Namespace:
    parser = common.arguments(__doc__)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument("--layer", choices=["pubsub", "lists"], default="lists", help="channel layer (CHANNEL_LAYER)")
    args = parser.parse_args()
    if args.quick:
        args.sockets, args.requests = 20, 20

    return args


def _main(args: argparse.Namespace) -> int:
    with common.bench_database(database=DATABASE, prefix=PREFIX) as env:
        fixtures = fixtures_create(sockets=args.sockets)
        common.connections_close()
        port = common.free_port()
        web = [
            common.PYTHON,
            "manage.py",
            "serve",
            "--no-demo",
            "--no-worker",
            "--port",
            str(port),
            "--web-processes",
            str(args.web_processes),
        ]
        env = {**env, "DATABASE_POOL_SIZE": "8", "CHANNEL_LAYER": args.layer}
        print(f"push: web = {args.web_processes} Daphne process(es), pool of 8 each, channel layer {args.layer}")
        with common.process(web, env=env, log=common.LOG_DIR / "push-daphne.log") as server:
            common.wait_until(lambda: _listening(port), timeout=60, what="daphne")
            result = asyncio.run(
                run_clients(port=port, fixtures=fixtures, requests=args.requests, connect_timeout=120)
            )
            rss, _ = common.tree_rss(server.pid)
        latencies = result["latencies"]
        print(
            f"push: {len(latencies)} escalations raised via POST /api/escalations/ with {result['sockets']} "
            f"sockets connected; {result['missed']} events missed (> {EVENT_TIMEOUT:.0f}s); "
            f"{result['events']} events delivered to all sockets; web processes' RSS {rss / 2**20:.0f} MB",
            flush=True,
        )
        if not latencies:
            print("push latency: no samples", flush=True)
            return 1
        print(
            f"push latency API→head socket: {common.summary_ms(latencies)} "
            "(target p50 < 20 ms, p99 < 100 ms)",
            flush=True,
        )
        after_response = statistics.median(a - h for a, h in zip(latencies, result["http"], strict=True))
        print(
            f"push of which the HTTP request itself: {common.summary_ms(result['http'])}; median event after "
            f"response {after_response * 1000:.2f}ms (negative: the event beats the response)",
            flush=True,
        )
        common.print_load("at the end")
    return 0


def _listening(port: int) -> bool:
    try:
        with common.socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
