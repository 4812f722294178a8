"""Ingest throughput with live crisis clustering on and off: same data, same run, interleaved rounds.

    python bench/clustering.py [--quick] [--mentions 20000] [--batch 500] [--rounds 5]

In-process against a throw-away PostgreSQL database: each round ingests the same synthetic mentions
(bench/corpus.py, a telecom brand's day: many near-duplicate complaints) through
`services.mentions_ingest_batch` (intake row, parse, validate, author upsert, fast triage, the one
INSERT … ON CONFLICT, counters) in batches, once with `INBOX_CLUSTERING` on and once off, in
alternating order, each on a fresh channel. Figures are medians over the rounds, in mentions per
second; the time spent inside the two clustering calls is measured separately. The broker is not
involved (see bench/ingest.py for the end-to-end figure through a Celery worker).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.corpus import webhook_items  # noqa: E402

DATABASE = "crisisdesk_bench_clustering"
PREFIX = "bench_clustering"


class Stopwatch:
    """Adds up the wall time spent in the wrapped functions."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


def ingest_round(*, clustering: bool, items: list[dict], batch: int, name: str, watch: Stopwatch) -> float:
    from django.conf import settings

    from inbox import services
    from inbox.models import Channel

    settings.INBOX_CLUSTERING = clustering
    channel = Channel.objects.create(name=name, kind="webhook", brand="Telco")
    watch.seconds = 0.0
    started = time.perf_counter()
    for start in range(0, len(items), batch):
        services.mentions_ingest_batch(channel_id=channel.pk, items=items[start : start + batch])
    return time.perf_counter() - started


def cluster_figures(name: str) -> str:
    from django.db.models import Count, Max, Sum

    from inbox.models import MentionCluster

    clusters = MentionCluster.objects.filter(channel__name=name)
    figures = clusters.aggregate(clusters=Count("pk"), largest=Max("mention_count"), total=Sum("mention_count"))
    grouped = clusters.filter(mention_count__gte=2).aggregate(n=Count("pk"), members=Sum("mention_count"))
    return (
        f"{figures['clusters']} clusters for {figures['total']} mentions; {grouped['n']} of 2+ hold "
        f"{grouped['members'] or 0} mentions; largest {figures['largest']}"
    )


def main() -> None:
    parser = common.arguments(__doc__ or "")
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    if options.quick:
        options.mentions, options.rounds = 2_000, 2
    with common.exclusive(), common.bench_database(database=DATABASE, prefix=PREFIX, TRIAGE_MODEL_TIER="0"):
        from inbox import clusters, services

        watch = Stopwatch()
        pipeline = sys.modules[services.mentions_ingest.__module__]  # where the ingest looks the calls up
        pipeline.clusters_plan = watch.wrap(clusters.clusters_plan)
        pipeline.clusters_record = watch.wrap(clusters.clusters_record)
        items = webhook_items(count=options.mentions, seed=11)
        ingest_round(clustering=True, items=items[: options.batch], batch=options.batch, name="warm-up", watch=watch)
        rates: dict[bool, list[float]] = {True: [], False: []}
        shares: list[float] = []
        last_on = ""
        common.print_load("before")
        for number in range(options.rounds):
            for clustering in (True, False) if number % 2 == 0 else (False, True):
                name = f"round-{number}-{'on' if clustering else 'off'}"
                seconds = ingest_round(
                    clustering=clustering, items=items, batch=options.batch, name=name, watch=watch
                )
                rates[clustering].append(options.mentions / seconds)
                if clustering:
                    shares.append(watch.seconds / seconds)
                    last_on = name
                print(f"{name}: {options.mentions / seconds:,.0f} mentions/s ({seconds:.2f} s)", flush=True)
        common.print_load("after")
        on, off = statistics.median(rates[True]), statistics.median(rates[False])
        print(f"mentions {options.mentions:,} per round, batches of {options.batch}, {options.rounds} rounds")
        print(f"clustering off: median {off:,.0f} mentions/s")
        print(f"clustering on:  median {on:,.0f} mentions/s ({on / off:.0%} of off)")
        print(f"time inside clustering: median {statistics.median(shares):.1%} of the ingest")
        print(f"clusters of the last round: {cluster_figures(last_on)}")


if __name__ == "__main__":
    main()
