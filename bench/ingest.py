"""Ingest throughput end to end through a real Celery worker, against a naive baseline.

    python bench/ingest.py [--quick] [--mentions 200000] [--batch 500] [--naive 5000] [--clustering on|off|both]

A `celery -A crisisdesk worker` subprocess (one persistent database connection per pool process, as
`crisisdesk.celery` sets) on the bench database and Redis db 12 consumes
`inbox.mentions_ingest_batch` tasks (normalise, validate, dedupe, author upsert, fast triage,
INSERT … ON CONFLICT, minute counters, `mention.new` push after commit). The clock starts before
the first task is enqueued and stops when the last mention is committed, so enqueueing, the
broker and the worker are all inside it. A listener on the `inbox` group checks the live pushes.
The naive baseline (bench/naive_tasks.py: one task and one ORM save() per mention) runs on a
smaller sample in the same worker; its rate is extrapolated to the full size, and said so.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.corpus import webhook_items  # noqa: E402

DATABASE = "crisisdesk_bench_ingest"
PREFIX = "bench_ingest"
STALL_SECONDS = 30


class PushListener:
    """Joins the `inbox` group on the Redis channel layer and counts one channel's `mention.new` events."""

    def __init__(self, channel_name: str) -> None:
        self.channel_name = channel_name
        self.events = 0
        self.mentions = 0
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    async def _run(self) -> None:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        channel = await layer.new_channel("bench.")
        await layer.group_add("inbox", channel)
        self._ready.set()
        while not self._stop.is_set():
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=0.5)
            except TimeoutError:
                continue
            payload = json.loads(message["text"]) if "text" in message else {}
            summaries = payload.get("mentions") or [{}]
            if payload.get("type") == "mention.new" and summaries[0].get("channel_name") == self.channel_name:
                self.events += 1
                self.mentions += int(payload.get("count", 0))
        await layer.group_discard("inbox", channel)


class RssSampler:
    """Samples the worker's RSS (parent and pool children) every 200 ms; keeps the peaks."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_total = 0
        self.peak_single = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            total, single = common.tree_rss(self.pid)
            self.peak_total = max(self.peak_total, total)
            self.peak_single = max(self.peak_single, single)
            self._stop.wait(0.2)


def cpu_seconds(worker_pid: int) -> float:
    """CPU used so far by the worker's processes and the PostgreSQL backends serving this database.

    Other work on a shared machine slows the wall clock but not this, so it gives the capacity the
    pipeline would have on idle cores.
    """
    import psutil
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [DATABASE])
        pids = [row[0] for row in cursor.fetchall()]
    total = 0.0
    try:
        root = psutil.Process(worker_pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        processes = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            processes.append(psutil.Process(pid))
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def mention_count(channel_id: int, *, rollup: bool = False) -> int:
    """Mentions stored on the channel. With `rollup`, read from the minute counters the same transaction
    writes, a few rows instead of an index scan of the whole channel four times a second: the progress
    poll of a 100,000-mention run must not take CPU from the pipeline it measures."""
    from django.db import connection

    with connection.cursor() as cursor:
        if rollup:
            cursor.execute(
                "SELECT coalesce(sum(volume), 0) FROM inbox_mentionminutestat WHERE channel_id = %s AND topic = ''",
                [channel_id],
            )
        else:
            cursor.execute("SELECT count(*) FROM inbox_mention WHERE channel_id = %s", [channel_id])
        return cursor.fetchone()[0]


def run_and_wait(
    *, send, expected: int, channel_id: int, timeout: float, rollup: bool = False
) -> tuple[float, list[float]]:
    """Send the work, then wait for `expected` rows; returns elapsed seconds and per-second rates."""
    started = time.perf_counter()
    send()
    rates: list[float] = []
    last_count, last_time = 0, started
    deadline = started + timeout
    progress_count, progress_time = 0, started
    while True:
        time.sleep(0.25)
        count = mention_count(channel_id, rollup=rollup)
        now = time.perf_counter()
        if count != progress_count:
            progress_count, progress_time = count, now
        elif now - progress_time > STALL_SECONDS:
            raise RuntimeError(f"no progress for {STALL_SECONDS}s at {count} of {expected}; see the worker log")
        if now - last_time >= 1.0:
            rates.append((count - last_count) / (now - last_time))
            last_count, last_time = count, now
        if count >= expected:
            return now - started, rates
        if now > deadline:
            raise TimeoutError(f"only {count} of {expected} mentions stored after {timeout:.0f}s")


def main() -> int:
    args = _arguments()
    with common.exclusive():
        return _main(args)


def _arguments() -> argparse.Namespace:
    parser = common.arguments(__doc__)
    parser.add_argument("--mentions", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--naive", type=int, default=5_000, help="sample size of the naive baseline")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--clustering",
        choices=["on", "off", "both"],
        default="on",
        help="crisis clustering at ingest (the product's default is on); 'both' alternates on, off, on, off",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    if args.quick:
        args.mentions, args.naive = 2_000, 200

    return args


def _main(args: argparse.Namespace) -> int:
    with common.bench_database(database=DATABASE, prefix=PREFIX, keep=args.keep) as env:
        return _run(args, env)


def _worker_args(args: argparse.Namespace) -> list[str]:
    return [
        common.PYTHON,
        "-m",
        "celery",
        "-A",
        "crisisdesk",
        "worker",
        "-Q",
        "ingest,default",
        "-c",
        str(args.concurrency),
        "--prefetch-multiplier",
        "1",
        "--include",
        "bench.naive_tasks",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "WARNING",
        "-n",
        f"bench-ingest@{common.socket.gethostname()}",
    ]


def _run(args, env) -> int:
    items = webhook_items(count=args.mentions, seed=7, prefix="b", duplicate_share=0.01)
    unique = len({item["id"] for item in items})
    batches = [items[start : start + args.batch] for start in range(0, len(items), args.batch)]
    print(
        f"ingest: {len(items)} mentions ({unique} unique, {len(items) - unique} re-sent duplicates) "
        f"in {len(batches)} tasks of {args.batch}, all on one channel; worker concurrency {args.concurrency}",
        flush=True,
    )
    modes = ["on", "off", "on", "off"] if args.clustering == "both" else [args.clustering]
    rates: dict[str, list[float]] = {}
    for round_number, mode in enumerate(modes, start=1):
        mode_env = {**env, "INBOX_CLUSTERING": "1" if mode == "on" else "0"}
        last = round_number == len(modes)
        with common.process(_worker_args(args), env=mode_env, log=common.LOG_DIR / "ingest-worker.log") as worker:
            rate, cpu_per_mention = _batched_round(
                args,
                worker=worker,
                batches=batches,
                unique=unique,
                label=f"round {round_number}, clustering {mode}" if len(modes) > 1 else "",
            )
            rates.setdefault(mode, []).append(rate)
            if last:
                _naive_round(args, worker=worker, rate=rate, unique=unique, cpu_per_mention=cpu_per_mention)
    if args.clustering == "both":
        on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
        print(
            f"ingest clustering: median {on:,.0f} mentions/s on, {off:,.0f} off "
            f"({on / off:.0%} of off; rounds on {', '.join(f'{r:,.0f}' for r in rates['on'])}, "
            f"off {', '.join(f'{r:,.0f}' for r in rates['off'])})",
            flush=True,
        )
    common.print_load("at the end")
    return 0


def _batched_round(args, *, worker, batches: list[list[dict]], unique: int, label: str) -> tuple[float, float]:
    """One measured run of every batch through the worker into a fresh channel: (mentions/s, CPU s/mention)."""
    from crisisdesk.celery import app
    from inbox.models import Channel

    batch_channel = Channel.objects.create(name=f"bench batch {label}", kind="webhook", brand="Telco")
    warm_channel = Channel.objects.create(name=f"bench warm-up {label}", kind="webhook", brand="Telco")
    common.wait_until(lambda: bool(app.control.ping(timeout=0.5)), timeout=60, what="the Celery worker")
    warm = webhook_items(count=2 * args.batch, seed=9, prefix="w")
    for start in range(0, len(warm), args.batch):
        app.send_task("inbox.mentions_ingest_batch", args=[warm_channel.pk, warm[start : start + args.batch]])
    common.wait_until(lambda: mention_count(warm_channel.pk) >= len(warm), timeout=60, what="the warm-up")

    listener = PushListener(batch_channel.name)
    listener.start()

    def send_batches() -> None:
        for batch in batches:
            app.send_task("inbox.mentions_ingest_batch", args=[batch_channel.pk, batch])

    cpu_before = cpu_seconds(worker.pid)
    with RssSampler(worker.pid) as memory:
        elapsed, rates = run_and_wait(
            send=send_batches,
            expected=unique,
            channel_id=batch_channel.pk,
            timeout=max(120, args.mentions / 500),
            rollup=True,
        )
    stored = mention_count(batch_channel.pk)
    if stored != unique:
        raise RuntimeError(f"the minute counters say {unique} mentions, the table holds {stored}")
    _clusters_check(batch_channel.pk, stored=stored)
    deadline = time.monotonic() + 10
    while listener.mentions < unique and time.monotonic() < deadline:
        time.sleep(0.05)  # the last events leave after their commits
    listener.stop()
    rate = unique / elapsed
    cpu_per_mention = (cpu_seconds(worker.pid) - cpu_before) / unique
    if label:
        print(f"ingest CPU ({label}): {cpu_per_mention * 1e6:.0f} µs per mention", flush=True)
    print(
        f"ingest batched{f' ({label})' if label else ''}: {unique} mentions stored in {elapsed:.2f}s "
        f"= {rate:,.0f} mentions/s "
        f"(per-second rate p50={statistics.median(rates or [rate]):,.0f} "
        f"min={min(rates or [rate]):,.0f} over {len(rates)} s)",
        flush=True,
    )
    print(
        f"ingest live push: {listener.events} mention.new events covering {listener.mentions} mentions "
        f"(expected {unique})",
        flush=True,
    )
    print(
        f"ingest worker RSS peak: total {memory.peak_total / 2**20:.0f} MB (parent + {args.concurrency} "
        f"pool processes), largest process {memory.peak_single / 2**20:.0f} MB",
        flush=True,
    )
    return rate, cpu_per_mention


def _clusters_check(channel_id: int, *, stored: int) -> None:
    """With clustering on, every stored mention is counted in its cluster once the tallies are folded."""
    from django.db.models import Sum

    from inbox.clusters import clusters_fold
    from inbox.models import Mention, MentionCluster, MentionClusterTally

    clustered = Mention.objects.filter(channel_id=channel_id, cluster__isnull=False).count()
    if not clustered:
        return
    # What the beat would fold: tallies of workers that found the fold lock taken. A worker may still be
    # folding after its last commit (the lock is taken, so this fold returns at once): wait for it.
    left, deadline = 0, time.monotonic() + 30
    while True:
        left += clusters_fold()
        if not MentionClusterTally.objects.exists() or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    counted = MentionCluster.objects.filter(channel_id=channel_id).aggregate(total=Sum("mention_count"))["total"]
    print(f"ingest clusters: {counted} mentions counted in clusters, {left} folded after the run", flush=True)
    if counted != clustered or clustered != stored:
        raise RuntimeError(f"clusters count {counted} of {clustered} clustered mentions ({stored} stored)")


def _naive_round(args, *, worker, rate: float, unique: int, cpu_per_mention: float) -> None:
    """The naive baseline (one task and one ORM save per mention) in the same worker, on a sample."""
    from crisisdesk.celery import app
    from inbox.models import Channel

    naive_channel = Channel.objects.create(name="bench naive", kind="webhook", brand="Telco")
    naive_items = webhook_items(count=args.naive, seed=8, prefix="n")

    def send_naive() -> None:
        for item in naive_items:
            app.send_task("bench.naive_mention_ingest", args=[naive_channel.pk, item], queue="default")

    naive_cpu_before = cpu_seconds(worker.pid)
    naive_elapsed, _ = run_and_wait(
        send=send_naive, expected=len(naive_items), channel_id=naive_channel.pk, timeout=600
    )
    naive_cpu = (cpu_seconds(worker.pid) - naive_cpu_before) / len(naive_items)
    naive_rate = len(naive_items) / naive_elapsed
    print(
        f"ingest naive: {len(naive_items)} mentions in {naive_elapsed:.2f}s = {naive_rate:,.0f} mentions/s "
        f"(one task + ORM save per mention; sample of {len(naive_items)}, extrapolated: "
        f"{unique / naive_rate:,.0f}s for {unique})",
        flush=True,
    )
    print(f"ingest speed-up: {rate / naive_rate:.1f}x", flush=True)
    cores = common.psutil.cpu_count()
    print(
        f"ingest CPU: {cpu_per_mention * 1e6:.0f} µs per mention (worker + its PostgreSQL backends); "
        f"on {cores} idle cores that is {cores / cpu_per_mention:,.0f} "
        "mentions/s of capacity (projection, not a measurement)",
        flush=True,
    )
    print(
        f"ingest naive CPU: {naive_cpu * 1e6:.0f} µs per mention; CPU speed-up "
        f"{naive_cpu / cpu_per_mention:.1f}x (independent of other load on the machine)",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
