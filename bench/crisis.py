"""A crisis, everything at once, run the way docker-compose runs the product; the figures of every path.

    python bench/crisis.py             # 500 mentions/s for 10 minutes, 1,000 sockets (a quiet machine only)
    python bench/crisis.py --quick     # 100 mentions/s for 1 minute, 100 sockets
    python bench/crisis.py --quick --seconds 20 --sockets 40 --rate 50 --targets errors   # the CI smoke run

Separate processes, as in docker-compose.yml: the web (`manage.py serve --no-worker --web-processes 2`,
two processes of the default server, uvicorn, a pool of 8 database connections each), one Celery worker on every queue
(concurrency 2, a persistent connection per pool process) and Celery beat, on a throw-away PostgreSQL database
(`crisisdesk_bench_crisis`, migrated, a day of history loaded, dropped at the end) and a private
`redis-server` on a free port. The whole pipeline runs: signed webhook intake, fast triage, clustering,
the minute rollups, the beat's detection, the model tier (the real embedders, with its shedding), replies
sent to a stand-in for Meta's Graph API, escalations and their chain.

The load, in three more processes started together (bench/crisis_intake.py, crisis_sockets.py,
crisis_team.py): Meta delivering `--rate` new comments a second to /hooks/meta/<channel>/ for `--minutes`;
`--sockets` consoles of logged-in users; 20 community managers paging the priority-sorted inbox, opening
mentions, replying, answering clusters and raising escalations, which the departments' heads answer; 5
directors on the dashboard; Prometheus scraping /metrics every 15 s. From outside, once a second
(bench/crisis_observe.py): the depth of every queue, the CPU and RSS of every process. When the load stops,
the pipeline is given `--drain` seconds to empty its queues; then every accepted mention must be stored and
announced.

Printed: p50/p95/p99 of every path; posted on the platform → visible in the inbox (target p99 < 2 s); push
latency, escalation raised → the head's socket (p99 < 100 ms); the inbox page's p95 (< 50 ms); errors (0);
each queue's start, maximum, end and slope over the last half of the load (none may keep growing); CPU and
RSS per process; the machine and its load average. A chart of the queues and latencies over time is
written as a PNG beside a JSON report (`--out`). The exit status is 1 when a target is missed (with
`--targets errors`, only when there was an error).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.crisis_fixtures import MIN_SOCKETS, FakeGraph, fixtures_create, history_load  # noqa: E402
from bench.crisis_intake import intake_main, meta_body, signature  # noqa: E402
from bench.crisis_report import report_print  # noqa: E402
from bench.crisis_sockets import sockets_main  # noqa: E402
from bench.crisis_team import team_main  # noqa: E402

DATABASE = "crisisdesk_bench_crisis"
PREFIX = "bench_crisis"
WARM_DELIVERIES = 2
METRICS_TOKEN = "bench-crisis-metrics-token"


def _arguments() -> argparse.Namespace:
    parser = common.arguments(__doc__, quick_help="100 mentions/s for 1 minute with 100 sockets")
    parser.add_argument("--rate", type=float, help="mentions per second (500; quick 100)")
    parser.add_argument("--minutes", type=float, help="length of the load (10; quick 1)")
    parser.add_argument("--seconds", type=float, help="length of the load in seconds (overrides --minutes)")
    parser.add_argument("--sockets", type=int, help="console websockets (1,000; quick 100)")
    parser.add_argument("--batch", type=int, default=25, help="comments per webhook delivery")
    parser.add_argument("--history", type=int, help="mentions of the day before (20,000; quick 2,000)")
    parser.add_argument("--think", type=float, default=2.0, help="a manager's pause between mentions, seconds")
    parser.add_argument("--cluster-every", type=float, default=120.0, help="seconds between cluster answers")
    parser.add_argument("--escalate-every", type=float, default=20.0, help="seconds between a manager's escalations")
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="the worker's pool, as docker-compose")
    parser.add_argument("--model-tier", choices=["on", "off"], default="on",
                        help="the model tier (TRIAGE_MODEL_TIER); off measures the pipeline without it")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds the queues get to empty after the load")
    parser.add_argument("--targets", choices=["all", "errors"], default="all", help="what decides the exit status")
    parser.add_argument("--out", type=Path, default=common.LOG_DIR, help="where the PNG and the JSON go")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    args.rate = args.rate or (100.0 if args.quick else 500.0)
    args.seconds = args.seconds or 60 * (args.minutes or (1.0 if args.quick else 10.0))
    args.sockets = args.sockets or (100 if args.quick else 1000)
    args.history = args.history if args.history is not None else (2_000 if args.quick else 20_000)
    if not (MIN_SOCKETS <= args.sockets <= 5000 and 1 <= args.rate <= 5000 and 5 <= args.seconds <= 3600):
        parser.error(f"bounded: {MIN_SOCKETS} to 5,000 sockets, 1 to 5,000 mentions/s, 5 s to one hour")
    if not (1 <= args.batch <= 50 and 1 <= args.web_processes <= 8 and 1 <= args.concurrency <= 8):
        parser.error("bounded: 1 to 50 comments per delivery, 1 to 8 web processes and worker processes")
    return args


def main() -> int:
    args = _arguments()
    with common.exclusive():
        return _main(args)


def _main(args: argparse.Namespace) -> int:
    common.print_machine()
    common.print_load("at the start")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # a thousand sockets, here and in the web
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.sockets + 2048)), hard))
    directory = Path(tempfile.mkdtemp(prefix="crisisdesk-crisis-"))
    try:
        with common.redis_server(directory) as redis_url:
            env = common.bench_env(
                database=DATABASE,
                prefix=PREFIX,
                REDIS_URL=redis_url,
                CRISISDESK_DATA_DIR=str(directory),
                API_THROTTLE_USER="6000/min",  # the production default
                EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
                TRIAGE_MODEL_TIER="1" if args.model_tier == "on" else "0",
                INBOX_CLUSTERING="1",
                # As docker-compose: JSON logs, and every process's metrics in one directory the web's /metrics sums.
                LOG_FORMAT="json",
                PROMETHEUS_MULTIPROC_DIR=str(_directory(directory / "metrics")),
                METRICS_TOKEN=METRICS_TOKEN,
            )
            common.database_create(DATABASE)
            try:
                common.migrate(env)
                common.django_setup(env)
                with FakeGraph() as graph:
                    fixtures = fixtures_create(sockets=args.sockets, graph_url=graph.url)
                    history_load(channel_id=fixtures["channel_id"], mentions=args.history)
                    common.connections_close()
                    outcome = _stack(args, env=env, fixtures=fixtures, directory=directory, redis_url=redis_url)
                    outcome["graph_posts"] = graph.posts
                outcome["stored"] = _stored(fixtures["channel_id"])
                outcome["sockets"]["visible"] = _visible(outcome["sockets"], channel_id=fixtures["channel_id"])
            finally:
                common.connections_close()
                if not args.keep:
                    common.database_drop(DATABASE)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    common.print_load("at the end")
    failures = report_print(outcome, args=args)
    return 1 if failures else 0


def _stack(args, *, env: dict[str, str], fixtures: dict, directory: Path, redis_url: str) -> dict:
    """Web, worker and beat as docker-compose starts them; the warm-up; then the load."""
    from bench.load import web_ready
    from crisisdesk.queues import QUEUES

    port = common.free_port()
    base_url = f"http://127.0.0.1:{port}"
    web = [common.PYTHON, "manage.py", "serve", "--no-demo", "--no-worker", "--host", "127.0.0.1", "--port",
           str(port), "--web-processes", str(args.web_processes)]
    worker = [common.PYTHON, "-m", "celery", "-A", "crisisdesk", "worker", "-Q", ",".join(QUEUES), "--concurrency",
              str(args.concurrency), "-l", "WARNING", "-n", f"crisis@{common.socket.gethostname()}"]
    beat = [common.PYTHON, "-m", "celery", "-A", "crisisdesk", "beat", "-l", "WARNING", "--schedule",
            str(directory / "celerybeat-schedule")]
    logs = common.LOG_DIR
    server = env.get("WEB_SERVER", "uvicorn")
    print(f"crisis: web = {args.web_processes} {server} processes (pool of 8 each), worker concurrency "
          f"{args.concurrency} on {','.join(QUEUES)}, beat; logs in {logs}/crisis-*.log", flush=True)
    with (
        common.process(web, env={**env, "DATABASE_POOL_SIZE": "8"}, log=logs / "crisis-web.log") as web_process,
        common.process(worker, env=env,
                       log=logs / "crisis-worker.log") as worker_process,
        common.process(beat, env=env, log=logs / "crisis-beat.log") as beat_process,
    ):
        web_ready(base_url, web_process, logs / "crisis-web.log")
        _warm_up(base_url, args=args, channel_id=fixtures["channel_id"])
        pids = {f"web ({args.web_processes} {server} + serve)": web_process.pid, "worker (celery)": worker_process.pid,
                "beat (celery)": beat_process.pid}
        return _load(args, base_url=base_url, fixtures=fixtures, directory=directory, redis_url=redis_url, pids=pids)


def _warm_up(base_url: str, *, args, channel_id: int) -> None:
    """A couple of deliveries before the clock starts: imports, connections, and the model tier's embedders
    loading in the worker are not the crisis's."""
    import random

    import httpx

    from crisisdesk.celery import app

    common.wait_until(lambda: bool(app.control.ping(timeout=0.5)), timeout=120, what="the Celery worker")
    started = time.monotonic()
    rng = random.Random(5)
    for number in range(WARM_DELIVERIES):
        body = meta_body(rng=rng, first=number * args.batch, count=args.batch, posted_at=time.time(), prefix="warm")
        response = httpx.post(f"{base_url}/hooks/meta/{channel_id}/", content=body, timeout=30,
                              headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature(body)})
        if response.status_code != 202:
            raise RuntimeError(f"the warm-up delivery was answered {response.status_code}: {response.text[:300]}")
    expected = WARM_DELIVERIES * args.batch
    common.wait_until(lambda: _stored(channel_id, prefix="warm") >= expected, timeout=120,
                      what="the warm-up's mentions")
    common.wait_until(lambda: _refine_pending() == 0, timeout=300, interval=0.5, what="the model tier's warm-up")
    print(f"crisis warm-up: {expected} mentions ingested and refined by the model tier in "
          f"{time.monotonic() - started:.1f}s", flush=True)


def _load(args, *, base_url: str, fixtures: dict, directory: Path, redis_url: str, pids: dict[str, int]) -> dict:
    """The consoles connect; then the platform, the team and the sampler start at one instant; then the drain."""
    from bench.crisis_observe import Sampler

    context = multiprocessing.get_context("spawn")
    config = {**fixtures, "base_url": base_url, "metrics_token": METRICS_TOKEN, "rate": args.rate,
              "batch": args.batch, "seconds": args.seconds, "think": args.think, "cluster_every": args.cluster_every,
              "escalate_every": args.escalate_every}
    files = {name: str(directory / f"{name}.json") for name in ("config", "sockets", "team", "intake")}
    ready, stop = str(directory / "sockets.ready"), str(directory / "sockets.stop")
    Path(files["config"]).write_text(json.dumps(config))
    consoles = context.Process(target=sockets_main, args=(files["config"], files["sockets"], ready, stop))
    consoles.start()
    connecting = time.monotonic()
    common.wait_until(lambda: os.path.exists(ready) or not consoles.is_alive(), timeout=args.sockets / 2 + 120,
                      what="the consoles")
    print(f"crisis: {Path(ready).read_text() if os.path.exists(ready) else 0} of {args.sockets} consoles open in "
          f"{time.monotonic() - connecting:.1f}s", flush=True)
    start_at = time.time() + 2.0
    Path(files["config"]).write_text(json.dumps({**config, "start_at": start_at}))
    Path(ready + ".start").write_text(repr(start_at))
    workers = [
        context.Process(target=intake_main, args=(files["config"], files["intake"])),
        context.Process(target=team_main, args=(files["config"], files["team"])),
    ]
    for process in workers:
        process.start()
    generators = {"load: consoles": consoles.pid, "load: platform": workers[0].pid, "load: team": workers[1].pid,
                  "load: this process (sampler)": os.getpid()}
    redis_pid = _redis_pid(redis_url)
    watched = {**pids, **({"redis-server": redis_pid} if redis_pid else {}), **generators}
    with Sampler(redis_url=redis_url, database=DATABASE, processes=watched, start_at=start_at,
                 layer_prefix=PREFIX) as sampler:
        for process in workers:
            process.join(args.seconds + 180)
        drained = _drain(sampler, limit=args.drain)
        time.sleep(2.0)  # the last events after the last commits
        Path(stop).write_text("stop")
        consoles.join(60)
    for process in [consoles, *workers]:
        if process.is_alive():
            process.kill()
    results = {name: _read(files[name]) for name in ("sockets", "team", "intake")}
    return {**results, "samples": sampler.samples, "drain_seconds": drained, "start_at": start_at,
            "fixtures": fixtures}


def _drain(sampler, *, limit: float) -> float | None:
    """Seconds until no intake is waiting and the ingest queue is empty (None: not within `limit`)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        queues = sampler.samples.queues
        if queues and queues["pg: intake not ingested"][-1] == 0 and queues["redis: ingest"][-1] == 0:
            return round(time.monotonic() - started, 1)
        time.sleep(0.5)
    return None


def _directory(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _read(path: str) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        return {"errors": {f"the load process wrote no figures ({error})": 1}}


def _redis_pid(redis_url: str) -> int | None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.info("server")["process_id"])
    finally:
        client.close()


def _stored(channel_id: int, *, prefix: str = "crisis") -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM inbox_mention WHERE channel_id = %s AND external_id LIKE %s",
            [channel_id, f"page-post-1\\_{prefix}%"],
        )
        return cursor.fetchone()[0]


def _visible(sockets: dict, *, channel_id: int) -> list[tuple[float, float]]:
    """(seconds into the run, posted → arrived) for every crisis mention each timed console was told of."""
    from django.db import connection

    event_ids = sockets.pop("event_ids", {})
    arrivals = sockets.pop("event_arrivals", [])
    ids = sorted({mention_id for mention_ids in event_ids.values() for mention_id in mention_ids})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, extract(epoch FROM posted_at) FROM inbox_mention WHERE channel_id = %s AND id = ANY(%s)",
            [channel_id, ids],
        )
        posted = {mention_id: float(moment) for mention_id, moment in cursor.fetchall()}
    start_at = float(sockets.get("start_at") or 0.0)
    visible = []
    for key, arrived in arrivals:
        for mention_id in event_ids.get(key, []):
            moment = posted.get(mention_id)
            if moment is not None and moment >= start_at - 1:  # the warm-up's mentions are not the crisis's
                visible.append((moment - start_at, arrived - moment))
    return visible


def _refine_pending() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inbox_mention WHERE triage_refine = 'pending'")
        return cursor.fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
