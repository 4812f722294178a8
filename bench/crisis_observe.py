"""What the crisis benchmark watches from outside, once a second: every queue's depth, every process's CPU and RSS.

Queues: the Redis list of each Celery queue in crisisdesk/queues.py (kombu keeps a priority's messages in
`<queue>\\x06\\x16<priority>` beside it: they are added in), the `unacked` hash (messages a worker holds:
running, prefetched, or waiting for their ETA), the channel layer's inbox of each web process (channels_redis
keeps every message to the sockets of one process in one sorted set, `<prefix>specific.<process>!`, and drops
what waits there longer than its expiry, 30 s here, or over its capacity), and the PostgreSQL queues the product
keeps in tables: intake rows not yet ingested, mentions waiting for the model tier, cluster replies due and not
sent (those the platform's rate limit spaces into the coming hours are a schedule, not a backlog), replies queued.

Processes: user + system CPU (as a share of one core) and RSS of each process tree, from psutil; the
PostgreSQL backends serving the benchmark's database are summed as one.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psutil

from crisisdesk.queues import QUEUES

PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
TABLE_QUEUES_SQL = """
SELECT (SELECT count(*) FROM inbox_intake WHERE processed_at IS NULL),
       (SELECT count(*) FROM inbox_mention WHERE triage_refine = 'pending'),
       (SELECT count(*) FROM inbox_clusterreply WHERE state = 'scheduled' AND scheduled_at <= now()),
       (SELECT count(*) FROM inbox_reply WHERE state = 'queued')
"""
TABLE_QUEUES = ("pg: intake not ingested", "pg: model tier pending", "pg: cluster replies due",
                "pg: replies queued")


@dataclass
class Samples:
    times: list[float] = field(default_factory=list)  # seconds into the run
    queues: dict[str, list[int]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)  # share of one core over the last second
    rss: dict[str, list[float]] = field(default_factory=dict)  # MB
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # over the whole run


class Sampler:
    """A thread sampling once a second from `start_at` (wall clock) until stopped."""

    def __init__(self, *, redis_url: str, database: str, processes: dict[str, int], start_at: float,
                 layer_prefix: str) -> None:
        self.redis_url = redis_url
        self.layer_prefix = layer_prefix
        self.database = database
        self.processes = processes  # label → pid of the root of its tree
        self.start_at = start_at
        self.samples = Samples()
        self._last_cpu: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        import psycopg2
        import redis

        from bench import common

        client = redis.Redis.from_url(self.redis_url)
        database = psycopg2.connect(host=common.PG_HOST, port=common.PG_PORT, user=common.PG_USER, dbname=self.database)
        database.autocommit = True
        self._processes_cpu(database, baseline=True)
        last = time.time()
        try:
            while not self._stop.wait(max(0.0, last + 1.0 - time.time())):
                now = time.time()
                self._sample(client, database, now=now, elapsed=now - last)
                last = now
        finally:
            client.close()
            database.close()

    def _sample(self, client, database, *, now: float, elapsed: float) -> None:
        samples = self.samples
        samples.times.append(round(now - self.start_at, 2))
        pipe = client.pipeline(transaction=False)
        for queue in QUEUES:
            for suffix in PRIORITY_SUFFIXES:
                pipe.llen(queue + suffix)
        pipe.hlen("unacked")
        depths = pipe.execute()
        for number, queue in enumerate(QUEUES):
            width = len(PRIORITY_SUFFIXES)
            samples.queues.setdefault(f"redis: {queue}", []).append(sum(depths[number * width : (number + 1) * width]))
        samples.queues.setdefault("redis: unacked (held by workers)", []).append(depths[-1])
        inboxes = list(client.scan_iter(match=f"{self.layer_prefix}specific.*", count=1000))
        waiting = sum(client.zcard(key) for key in inboxes)
        samples.queues.setdefault("redis: channel layer, web inboxes", []).append(waiting)
        with database.cursor() as cursor:
            cursor.execute(TABLE_QUEUES_SQL)
            for name, value in zip(TABLE_QUEUES, cursor.fetchone(), strict=True):
                samples.queues.setdefault(name, []).append(int(value))
        for label, (seconds, rss) in self._processes_cpu(database).items():
            samples.cpu.setdefault(label, []).append(round(seconds / elapsed, 3))
            samples.rss.setdefault(label, []).append(round(rss / 2**20, 1))
            samples.cpu_seconds[label] = samples.cpu_seconds.get(label, 0.0) + seconds

    def _members(self, database) -> dict[str, list[psutil.Process]]:
        members: dict[str, list[psutil.Process]] = {}
        for label, pid in self.processes.items():
            with contextlib.suppress(psutil.NoSuchProcess):
                root = psutil.Process(pid)
                alone = pid == os.getpid()  # this process alone: its children are the others
                members[label] = [root] if alone else [root, *root.children(recursive=True)]
        with database.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.database]
            )
            backends = []
            for (pid,) in cursor.fetchall():
                with contextlib.suppress(psutil.NoSuchProcess):
                    backends.append(psutil.Process(pid))
            members["postgres backends"] = backends
        return members

    def _processes_cpu(self, database, *, baseline: bool = False) -> dict[str, tuple[float, int]]:
        """CPU seconds each tree spent since the last call, and its RSS. A process first seen after the
        baseline is counted from its start; what a process spent in its last second before ending is lost."""
        figures: dict[str, tuple[float, int]] = {}
        for label, processes in self._members(database).items():
            spent, rss = 0.0, 0
            for process in processes:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    times = process.cpu_times()
                    total = times.user + times.system
                    key = (label, process.pid)
                    spent += max(0.0, total - self._last_cpu.get(key, total if baseline else 0.0))
                    self._last_cpu[key] = total
                    rss += process.memory_info().rss
            figures[label] = (spent, rss)
        return figures


def slope(times: list[float], values: list[float]) -> float:
    """Least-squares slope, units per second."""
    count = len(times)
    if count < 2:
        return 0.0
    mean_t, mean_v = sum(times) / count, sum(values) / count
    variance = sum((t - mean_t) ** 2 for t in times)
    if not variance:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in zip(times, values, strict=True)) / variance


def queue_verdicts(samples: Samples, *, seconds: float) -> list[dict[str, Any]]:
    """Start, max, end and the slope over the last half of the load for each queue.

    A queue grows without bound when, over the last half of the load, its fitted line rises by more than
    max(100, a fifth of its maximum) and it ends above 100: a backlog that drains or levels off passes,
    one still climbing when the load stops does not. Samples of the drain after the load are left out.
    """
    verdicts = []
    during = [index for index, moment in enumerate(samples.times) if moment <= seconds]
    half = [index for index in during if samples.times[index] >= seconds / 2]
    for name, values in samples.queues.items():
        load = [values[index] for index in during] or [0]
        rate = slope([samples.times[index] for index in half], [values[index] for index in half])
        rise = rate * seconds / 2
        verdicts.append(
            {
                "queue": name,
                "start": load[0],
                "max": max(load),
                "end": load[-1],
                "slope_last_half_per_s": round(rate, 2),
                "grows": bool(rise > max(100.0, max(load) / 5) and load[-1] > 100),
            }
        )
    return verdicts
