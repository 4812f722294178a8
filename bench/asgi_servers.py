"""The product's ASGI app under Daphne, uvicorn (uvloop, httptools) and granian, one after the other in one run.

    python bench/asgi_servers.py            # 60 req/s offered for 30 s with 500 sockets, then 20 s at saturation
    python bench/asgi_servers.py --quick    # 50 req/s for 10 s with 50 sockets, then 8 s at saturation
    python bench/asgi_servers.py --servers uvicorn,granian --rounds 2

Each server runs `crisisdesk.asgi:application` (the routing Daphne serves: HTTP through Django, websockets
through Channels) with the same number of worker processes, on one throw-away database
(`crisisdesk_bench_asgi_servers`, seeded as `bench/load.py` seeds it) and a private `redis-server`.
Daphne is started the production way (`manage.py serve --no-worker --web-processes N`). Per server:

1. **Fixed rate**: `bench.load.Load` — the offered rate, open-loop, on `GET /api/mentions/` from a team of
   community managers with tokens, while `--sockets` console websockets are open and a `mention.new`
   event is pushed to all of them once a second: request latency, socket connect, push latency.
2. **Saturation**: `--concurrency` closed-loop clients, each sending its next GET when the last answers,
   with no sockets open: requests per second and latency at the most the server gives.

CPU is the user + system time of the server's process tree over each phase, divided by the requests
answered (the fixed-rate figure also pays for the sockets and the pushes). The load generator runs on
the same machine and its CPU is printed too: at saturation it competes with the server for the cores.
Errors are non-200 answers, transport failures, sockets that did not open or closed early and pushes
that did not reach every socket. Rounds interleave the servers, so a machine that gets busier during
the run does not favour whichever ran first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, load  # noqa: E402

DATABASE = "crisisdesk_bench_asgi_servers"
PREFIX = "bench_asgi_servers"
APP = "crisisdesk.asgi:application"
SERVERS = ("daphne", "uvicorn", "granian")
PATH = "/api/mentions/"


def server_command(server: str, *, port: int, workers: int) -> list[str]:
    """How each server is started; every one serves the same app with `workers` processes, no access log."""
    address = ["--host", "127.0.0.1", "--port", str(port)]
    if server == "daphne":
        return [
            common.PYTHON,
            "manage.py",
            "serve",
            "--no-demo",
            "--no-worker",
            *address,
            "--web-processes",
            str(workers),
        ]
    if server == "uvicorn":
        # Channels' router has no lifespan protocol, so it is off (uvicorn's "auto" would log a traceback).
        return [
            common.PYTHON,
            "-m",
            "uvicorn",
            APP,
            *address,
            "--workers",
            str(workers),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--ws",
            "websockets",
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    if server == "granian":
        return [
            common.PYTHON,
            "-m",
            "granian",
            "--interface",
            "asgi",
            *address,
            "--workers",
            str(workers),
            "--loop",
            "uvloop",
            "--ws",
            "--no-respawn-failed-workers",
            "--log-level",
            "warning",
            APP,
        ]
    raise ValueError(f"unknown server {server!r}")


def server_version(server: str) -> str:
    return metadata.version(server)


@contextlib.contextmanager
def served(server: str, *, env: dict[str, str], workers: int, log: Path) -> Iterator[tuple[str, int]]:
    """One server on a free port until the block ends (its whole process group stopped); yields its URL and pid."""
    port = common.free_port()
    with log.open("w") as output:
        child = subprocess.Popen(
            server_command(server, port=port, workers=workers),
            cwd=common.ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        load.web_ready(base_url, child, log)
        yield base_url, child.pid
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(10)


async def saturation(*, base_url: str, tokens: list[str], concurrency: int, seconds: float, server_pid: int) -> dict:
    """`concurrency` clients in a closed loop on the mention list for `seconds`."""
    host, port = base_url.removeprefix("http://").split(":")
    client = load.HttpConnections(host=host, port=int(port), limit=concurrency)
    headers = [f"Authorization: Token {token}\r\n".encode() for token in tokens]
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    stop_at = time.monotonic() + seconds

    async def one_client(number: int) -> None:
        while time.monotonic() < stop_at:
            started = time.monotonic()
            try:
                status, body, _etag = await asyncio.wait_for(client.get(PATH, headers[number % len(headers)]), 30)
            except Exception as error:  # every failure is an error of the run, by kind
                errors[f"{type(error).__name__}: {error}"[:200]] += 1
                continue
            if status == 200:
                latencies.append(time.monotonic() - started)
            else:
                errors[f"{status} {body[:120]!r}"] += 1

    server_cpu = load.tree_cpu_seconds(server_pid)
    generator_cpu = time.process_time()
    started = time.monotonic()
    await asyncio.gather(*(one_client(number) for number in range(concurrency)))
    elapsed = time.monotonic() - started
    server_cpu = load.tree_cpu_seconds(server_pid) - server_cpu
    client.close()
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "latency": load.percentiles(latencies),
        "cpu_seconds_server": round(server_cpu, 2),
        "cpu_ms_per_request": round(1000 * server_cpu / len(latencies), 2) if latencies else None,
        "cpu_seconds_generator": round(time.process_time() - generator_cpu, 2),
        "errors": errors.total(),
        "error_samples": [f"{count} × {message}" for message, count in errors.most_common(5)],
    }


def measure(server: str, *, env: dict[str, str], session: str, tokens: list[str], args, log: Path) -> dict:
    common.print_load(f"before {server}")
    with served(server, env=env, workers=args.workers, log=log) as (base_url, pid):
        fixed = asyncio.run(
            load.Load(
                base_url=base_url,
                session=session,
                tokens=tokens,
                sockets=args.sockets,
                rate=args.rate,
                seconds=args.seconds,
                server_pid=pid,
            ).run()
        )
        saturated = asyncio.run(
            saturation(
                base_url=base_url,
                tokens=tokens,
                concurrency=args.concurrency,
                seconds=args.saturation_seconds,
                server_pid=pid,
            )
        )
    common.print_load(f"after {server}")
    answered = fixed["api_requests"]
    fixed["cpu_ms_per_request"] = round(1000 * fixed["cpu_seconds_web_processes"] / answered, 2) if answered else None
    return {"server": server, "version": server_version(server), "fixed_rate": fixed, "saturation": saturated}


def _spread(figures: dict, *keys: str) -> str:
    """p50/p95/… in whole milliseconds, or "-" when nothing was measured."""
    return "/".join("-" if not figures.get("count") else f"{figures[key]:.0f}" for key in keys)


def table(results: list[dict]) -> str:
    header = (
        "| server | offered → answered req/s | p50/p95/p99 ms | CPU ms/req | sockets opened | connect p50/p95 ms "
        "| push p50/p95/p99 ms | saturation req/s | p50/p95/p99 ms | CPU ms/req | errors |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    tails = ("p50_ms", "p95_ms", "p99_ms")
    for result in results:
        fixed, saturated = result["fixed_rate"], result["saturation"]
        cells = [
            f"{result['server']} {result['version']}",
            f"{fixed['api_rate_target']:.0f} → {fixed['api_rate_achieved']:.0f}",
            _spread(fixed["api_latency"], *tails),
            str(fixed["cpu_ms_per_request"]),
            f"{fixed['sockets_opened']}/{fixed['sockets']}",
            _spread(fixed["socket_connect_latency"], "p50_ms", "p95_ms"),
            _spread(fixed["event_delivery_latency"], *tails),
            f"{saturated['requests_per_second']:.0f}",
            _spread(saturated["latency"], *tails),
            str(saturated["cpu_ms_per_request"]),
            str(fixed["errors"] + saturated["errors"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = common.arguments(__doc__, quick_help="50 req/s for 10 s with 50 sockets, 8 s at saturation")
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma-separated, in this order")
    parser.add_argument("--rounds", type=int, default=1, help="run every server this many times, interleaved")
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 1), help="processes per server")
    parser.add_argument("--pool-size", type=int, default=8, help="database connections per process")
    parser.add_argument("--rate", type=float, help="offered requests/s of the fixed-rate phase")
    parser.add_argument("--seconds", type=float, help="length of the fixed-rate phase")
    parser.add_argument("--sockets", type=int, help="websockets open during the fixed-rate phase")
    parser.add_argument("--concurrency", type=int, default=32, help="closed-loop clients at saturation")
    parser.add_argument("--saturation-seconds", type=float, help="length of the saturation phase")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    args.rate = args.rate or (50.0 if args.quick else 60.0)
    args.seconds = args.seconds or (10.0 if args.quick else 30.0)
    args.sockets = args.sockets or (50 if args.quick else 500)
    args.saturation_seconds = args.saturation_seconds or (8.0 if args.quick else 20.0)
    servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    if unknown := set(servers) - set(SERVERS):
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    if args.sockets > 2000 or args.rate > 2000 or args.seconds > 600 or args.saturation_seconds > 600:
        parser.error("bounded: at most 2,000 sockets, 2,000 requests/s and 10 minutes a phase")
    if not 1 <= args.workers <= 16 or not 1 <= args.pool_size <= 20 or not 1 <= args.concurrency <= 500:
        parser.error("bounded: 1-16 workers of 1-20 database connections, 1-500 clients (PostgreSQL is shared)")
    if not 1 <= args.rounds <= 5:
        parser.error("bounded: 1 to 5 rounds")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # the sockets, here and in the servers
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.sockets + 2048)), hard))
    directory = Path(tempfile.mkdtemp(prefix="crisisdesk-asgi-servers-"))
    results: list[dict] = []
    with common.exclusive(), common.redis_server(directory) as redis_url:
        try:
            common.print_machine()
            common.database_create(DATABASE)
            env = common.bench_env(
                database=DATABASE,
                prefix=PREFIX,
                REDIS_URL=redis_url,
                CRISISDESK_DATA_DIR=str(directory),
                TRIAGE_MODEL_TIER="0",
                DATABASE_POOL_SIZE=str(args.pool_size),
                API_THROTTLE_USER="6000/min",
            )
            common.migrate(env)
            session, tokens = load.seed(env)
            common.django_setup(env)  # the pushes go through the web's own channel layer settings
            for _ in range(args.rounds):
                for server in servers:
                    log = directory / f"{server}.log"
                    results.append(measure(server, env=env, session=session, tokens=tokens, args=args, log=log))
                    print(f"{server}: {json.dumps(results[-1], ensure_ascii=False)}", flush=True)
        finally:
            common.connections_close()
            common.database_drop(DATABASE)
    shutil.rmtree(directory, ignore_errors=True)
    report = {"machine": common.machine(), "workers": args.workers, "pool_size": args.pool_size, "results": results}
    print(table(results))
    print("machine: " + ", ".join(f"{key}={value}" for key, value in report["machine"].items()))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return 1 if any(r["fixed_rate"]["errors"] or r["saturation"]["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
