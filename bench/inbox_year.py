"""A year of mentions: the inbox and the director dashboard at 20,000,000 mentions over 12 months.

    nice -n 10 python bench/inbox_year.py [--quick] [--mentions 20000000] [--repeats 30] [--keep] [--reuse]

Three brands with five channels each; a daily rhythm, two crises (a day and a half at eight times the
volume, a day at six), near-duplicate clusters every day and large ones in each crisis. History is
almost all answered or closed; a few percent of the last three days and most of the last six hours
are still open. The rows are generated as COPY reads them, a month at a time, through the loader of
`bench/inbox_query.py` (staging table, full-text vector, per-minute rollup, secondary indexes dropped
for the load and rebuilt from the migrations' definitions, VACUUM ANALYZE). `--keep` leaves the loaded
database behind and `--reuse` measures it again without loading (the data keep their load's "now":
the dashboard is asked for its ranges at that moment).

Each inbox request goes through the real stack in-process (Django test client → DRF → selectors →
PostgreSQL) as a community manager; the dashboard is `playbooks.dashboard.dashboard_figures()` for
every range it offers. Targets: inbox p95 < 50 ms, dashboard p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.inbox_query import (  # noqa: E402
    RowStream,
    _text_pool,
    database_times,
    fixtures_create,
    secondary_indexes_dropped,
    staging_move,
)

if TYPE_CHECKING:
    from playbooks.dashboard import DashboardRange

DATABASE = "crisisdesk_bench_year"
QUICK_DATABASE = "crisisdesk_bench_year_quick"  # a smoke run never drops a kept year
PREFIX = "bench_year"
BRANDS = ("Telco", "Banco", "Viajes")
DAYS = 365
MONTHS = 12
MINUTES = DAYS * 1440
# Crises: (days before now it starts, hours it lasts, times the usual volume, the brand it hits).
CRISES = ((200, 36, 8.0, "Telco"), (40, 24, 6.0, "Banco"))
CRISIS_CLUSTERS = 20  # the few near-duplicate complaints a crisis repeats
DAY_CLUSTERS = 8  # per channel and day: small groups of the same question
CLUSTERED_SHARE = 0.05
INBOX_TARGET = 0.050
DASHBOARD_TARGET = 0.300
PATH_BUDGET_SECONDS = 20.0  # a slow path is sampled fewer times rather than holding the machine
MARKER_SQL = "CREATE TABLE IF NOT EXISTS bench_year_load (mentions bigint, loaded_now timestamptz, seconds float)"


def minute_counts(*, count: int, seed: int) -> list[int]:
    """Mentions per minute over the year, oldest minute first, adding up to exactly `count`.

    Daytime is busier than night (a sine over the day), and each crisis multiplies its hours.
    """
    rng = random.Random(seed)
    weights = []
    for minute in range(MINUTES):
        hour = (minute % 1440) / 60
        daily = 1.0 + 0.8 * math.sin((hour - 9) / 24 * 2 * math.pi)
        weights.append(max(0.05, daily * rng.uniform(0.8, 1.2) * crisis_factor(minute)))
    total = sum(weights)
    counts, carry = [], 0.0
    for weight in weights:
        carry += count * weight / total
        whole = int(carry)
        counts.append(whole)
        carry -= whole
    counts[-1] += count - sum(counts)
    return counts


def crisis_factor(minute: int) -> float:
    return next((factor for factor, _ in _crises_at(minute)), 1.0)


def _crises_at(minute: int) -> Iterator[tuple[float, int]]:
    for number, (days_ago, hours, factor, _brand) in enumerate(CRISES):
        start = (DAYS - days_ago) * 1440
        if start <= minute < start + hours * 60:
            yield factor, number


@dataclass
class ClusterTally:
    channel_id: int
    brand: str
    text: str
    first_seen: datetime
    last_seen: datetime
    mentions: int = 0
    sentiments: dict[str, int] = field(default_factory=lambda: {"negative": 0, "neutral": 0, "positive": 0})


def year_rows(
    *,
    counts: list[int],
    minutes: range,
    start: datetime,
    now: datetime,
    ids: dict,
    rng: random.Random,
    pool: list,
    clusters: dict[int, ClusterTally],
    numbers: Iterator[int],
) -> Iterator[tuple]:
    """The mentions of `minutes` (indexes into `counts`) in arrival order, in `STAGING_COLUMNS` order.

    Fills `clusters` with what each cluster gathered, so the clusters are written once after the load.
    """
    channel_ids, brands = ids["channel_ids"], ids["channel_brands"]
    author_ids, manager_ids = ids["author_ids"], ids["manager_ids"]
    crisis_texts = [entry for entry in pool if entry[1] == "negative" and entry[3] == "outage"] or pool
    crisis_channels = {
        number: [pk for pk in channel_ids if brands[pk] == brand] for number, (*_, brand) in enumerate(CRISES)
    }
    for minute in minutes:
        crisis = next((number for _, number in _crises_at(minute)), None)
        crisis_share = 1 - 1 / CRISES[crisis][2] if crisis is not None else 0.0
        base = start + timedelta(minutes=minute)
        for second in sorted(rng.uniform(0, 60) for _ in range(counts[minute])):
            received = base + timedelta(seconds=second)
            age = (now - received).total_seconds()
            in_crisis = crisis is not None and rng.random() < crisis_share
            if in_crisis and crisis is not None:
                text, sentiment, category, topic, score = rng.choice(crisis_texts)
                channel_id = rng.choice(crisis_channels[crisis])
                cluster_id: int | None = 1 + crisis * CRISIS_CLUSTERS + rng.randrange(CRISIS_CLUSTERS)
            else:
                text, sentiment, category, topic, score = rng.choice(pool)
                channel_index = rng.randrange(len(channel_ids))
                channel_id = channel_ids[channel_index]
                cluster_id = None
                if rng.random() < CLUSTERED_SHARE:
                    slot = (minute // 1440 * len(channel_ids) + channel_index) * DAY_CLUSTERS
                    cluster_id = 1 + len(CRISES) * CRISIS_CLUSTERS + slot + rng.randrange(DAY_CLUSTERS)
            if cluster_id is not None:
                tally = clusters.get(cluster_id)
                if tally is None:
                    tally = clusters[cluster_id] = ClusterTally(
                        channel_id, brands[channel_id], text, received, received
                    )
                tally.mentions += 1
                tally.sentiments[sentiment] += 1
                tally.last_seen = received
            open_share = 0.6 if age < 6 * 3600 else 0.04 if age < 3 * 86400 else 0.0005
            if rng.random() < open_share:
                status = rng.choice(("new", "new", "assigned", "escalated"))
            else:
                status = rng.choice(("replied", "replied", "replied", "closed"))
            assignee = rng.choice(manager_ids) if status in ("assigned", "replied", "escalated") else None
            response_mu = 8.0 if in_crisis else 6.5
            yield (
                channel_id,
                f"y{next(numbers)}",
                rng.choice(author_ids),
                text,
                "es",
                received - timedelta(seconds=rng.randint(1, 90)),
                received,
                sentiment,
                score,
                category,
                rng.choice((0, 10, 20, 40, 60, 80)) if sentiment == "negative" else rng.choice((0, 10)),
                "reply" if category in ("complaint", "question") else "watch",
                status,
                assignee,
                received + timedelta(minutes=rng.randint(1, 20)) if assignee else None,
                received + timedelta(seconds=int(rng.lognormvariate(response_mu, 1.0)))
                if status == "replied"
                else None,
                rng.random() < 0.02,
                topic,
                cluster_id,
            )


def year_load(*, count: int, now: datetime, ids: dict, seed: int = 7) -> float:
    """COPY a year of mentions in, a month at a time (one process), then their clusters; returns seconds.

    The rows are generated valid, so foreign-key triggers are skipped for the load
    (`session_replication_role = replica`, as pg_restore does) and every constraint is still declared.
    """
    from django.db import connection

    started = time.perf_counter()
    rng = random.Random(seed)
    pool = _text_pool(rng)
    counts = minute_counts(count=count, seed=seed)
    start = (now - timedelta(days=DAYS)).replace(second=0, microsecond=0)
    clusters: dict[int, ClusterTally] = {}
    numbers = iter(range(1, count + 1))
    month = MINUTES // MONTHS
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET work_mem = '256MB'")
        with secondary_indexes_dropped(cursor):
            for number in range(MONTHS):
                minutes = range(number * month, MINUTES if number == MONTHS - 1 else (number + 1) * month)
                rows = year_rows(
                    counts=counts,
                    minutes=minutes,
                    start=start,
                    now=now,
                    ids=ids,
                    rng=rng,
                    pool=pool,
                    clusters=clusters,
                    numbers=numbers,
                )
                staging_move(cursor, rows)
                loaded = sum(counts[: minutes.stop])
                elapsed = time.perf_counter() - started
                print(
                    f"  month {number + 1:2d}/{MONTHS}: {loaded:,} mentions in {elapsed:.0f}s "
                    f"({loaded / elapsed:,.0f}/s)",
                    flush=True,
                )
            clusters_write(cursor, clusters, now=now)
            print(f"  rebuilding the secondary indexes after {time.perf_counter() - started:.0f}s", flush=True)
        cursor.execute("RESET session_replication_role")
        cursor.execute("VACUUM ANALYZE inbox_mentioncluster")
    return time.perf_counter() - started


def clusters_write(cursor, clusters: dict[int, ClusterTally], *, now: datetime) -> None:
    """The clusters the mentions point at, with the counters the pipeline would have folded."""
    columns = (
        "id, brand, channel_id, signature, bands, representative_text, mention_count, author_count, reach,"
        " negative, neutral, positive, first_seen_at, last_seen_at, status"
    )

    def rows() -> Iterator[tuple]:
        for pk, tally in sorted(clusters.items()):
            quiet = (now - tally.last_seen).total_seconds()
            status = "open" if quiet < 3 * 86400 else "answered" if quiet < 14 * 86400 else "closed"
            signature = "{" + ",".join(str((pk * 2654435761 + n) % 2**62) for n in range(4)) + "}"
            yield (
                pk,
                tally.brand,
                tally.channel_id,
                signature,
                signature,
                tally.text,
                tally.mentions,
                tally.mentions,
                tally.mentions * 300,
                tally.sentiments["negative"],
                tally.sentiments["neutral"],
                tally.sentiments["positive"],
                tally.first_seen,
                tally.last_seen,
                status,
            )

    cursor.cursor.copy_expert(f"COPY inbox_mentioncluster ({columns}) FROM STDIN", RowStream(rows()), size=1 << 20)
    cursor.execute("SELECT setval('inbox_mentioncluster_id_seq', (SELECT max(id) FROM inbox_mentioncluster))")


def response_histogram_fill() -> None:
    """The response histogram of the mentions loaded, as migration 0025 fills it for mentions already answered
    (the reply services keep it from then on)."""
    from django.db import connection

    backfill = importlib.import_module("inbox.migrations.0025_mention_response_stats").BACKFILL_SQL
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE inbox_mentionresponsestat")
        cursor.execute(backfill)
        cursor.execute("VACUUM ANALYZE inbox_mentionresponsestat")


def loaded(database: str, mentions: int) -> datetime | None:
    """The load's "now" if the bench database already holds a complete load of `mentions` mentions."""
    import psycopg2

    try:
        connection = psycopg2.connect(common.database_url(database))
    except psycopg2.OperationalError:
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('bench_year_load')")
            if cursor.fetchone()[0] is None:
                return None
            cursor.execute("SELECT loaded_now FROM bench_year_load WHERE mentions = %s", [mentions])
            row = cursor.fetchone()
            return row[0] if row else None
    finally:
        connection.close()


@dataclass
class Path_:
    name: str
    target: float
    timings: list[float]
    sql: list[float] = field(default_factory=list)
    note: str = ""


def timed(call: Callable[[], object], *, repeats: int) -> list[float]:
    """`repeats` timings after two warm-ups, fewer when a path is slow (at least five)."""
    for _ in range(2):
        call()
    timings: list[float] = []
    budget = time.perf_counter() + PATH_BUDGET_SECONDS
    while len(timings) < repeats and (len(timings) < 5 or time.perf_counter() < budget):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return timings


INBOX_PATHS = [
    ("work queue by priority", "?sort=priority"),
    ("newest first (API default)", ""),
    ("status new", "?sort=priority&status=new"),
    ("status escalated", "?sort=priority&status=escalated"),
    ("status replied (history)", "?sort=priority&status=replied"),
    ("status closed (history)", "?sort=priority&status=closed"),
    ("all statuses", "?status=all"),
    ("channel X", "?sort=priority&channel=x"),
    ("sentiment negative", "?sort=priority&sentiment=negative"),
    ("assigned to me", "?sort=priority&mine=true"),
    ("unassigned", "?sort=priority&unassigned=true"),
    ("about to breach", "?sort=priority&due=soon"),
    ("search open 'factura'", "?q=factura"),
    ("search all 'factura'", "?status=all&q=factura"),
    ("search all 'sin servicio Sevilla'", "?status=all&q=sin+servicio+Sevilla"),
    ("search all 'factura' by priority", "?status=all&q=factura&sort=priority"),
]
DEEP_PAGES = ((2, "?sort=priority"), (40, "?sort=priority"), (40, "?status=all"), (40, "?sort=priority&status=closed"))


def inbox_measure(client, *, repeats: int) -> list[Path_]:
    paths = []
    for name, query in INBOX_PATHS:
        url = f"/api/mentions/{query}"
        body = _get(client, url)
        timings = timed(partial(_get, client, url), repeats=repeats)
        sql = database_times(client, url, repeats=3)
        path = Path_(name, INBOX_TARGET, timings, sql, f"{len(body['results'])} rows")
        paths.append(path)
        _print(path)
    for page, query in DEEP_PAGES:
        url = f"/api/mentions/{query}"
        for _ in range(page - 1):
            following = _get(client, url).get("next")
            if not following:
                break
            url = following.split("testserver", 1)[-1].split("127.0.0.1", 1)[-1]
        else:
            timings = timed(partial(_get, client, url), repeats=repeats)
            path = Path_(f"page {page} of '{query or 'newest'}' (keyset)", INBOX_TARGET, timings)
            path.sql = database_times(client, url, repeats=3)
            paths.append(path)
            _print(path)
    url = "/api/clusters/"
    body = _get(client, url)
    path = Path_("clusters list", INBOX_TARGET, timed(partial(_get, client, url), repeats=repeats))
    path.sql, path.note = database_times(client, url, repeats=3), f"{len(body)} clusters"
    paths.append(path)
    _print(path)
    return paths


def _get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}: {response.content[:300]!r}")
    return json.loads(response.content)


def dashboard_windows(now: datetime) -> list[tuple[str, DashboardRange]]:
    """Every range the dashboard offers at `now`: the presets and custom ranges up to its longest."""
    from playbooks.dashboard import CUSTOM_RANGE_MAX, RANGES, dashboard_range_parse

    windows: list[tuple[str, DashboardRange]] = [(key, dashboard_range_parse(key=key, now=now)) for key in RANGES]
    longest = CUSTOM_RANGE_MAX.days
    for label, days_back in ((f"custom last {longest} d", 0), (f"custom {longest} d, a year ago", DAYS - longest)):
        until = now - timedelta(days=days_back)
        since = until - CUSTOM_RANGE_MAX
        windows.append(
            (label, dashboard_range_parse(key="custom", start=since.isoformat(), end=until.isoformat(), now=now))
        )
    return windows


def dashboard_measure(*, now: datetime, repeats: int) -> list[Path_]:
    from playbooks.dashboard import DashboardRangeInvalid, dashboard_figures, dashboard_range_parse

    paths = []
    for label, window in dashboard_windows(now):
        figures = dashboard_figures(window=window, now=now)
        timings = timed(partial(dashboard_figures, window=window, now=now), repeats=repeats)
        note = f"volume {figures.volume:,}, unanswered {figures.unanswered:,}"
        path = Path_(f"dashboard {label}", DASHBOARD_TARGET, timings, note=note)
        paths.append(path)
        _print(path)
    for days in (90, 365):
        try:
            dashboard_range_parse(
                key="custom", start=(now - timedelta(days=days)).isoformat(), end=now.isoformat(), now=now
            )
        except DashboardRangeInvalid as refusal:
            print(f"  dashboard custom {days} d: not offered ({refusal})", flush=True)
    return paths


def _print(path: Path_) -> None:
    sql = f"; SQL alone p50 {statistics.median(path.sql) * 1000:.1f}ms" if path.sql else ""
    print(f"  {path.name:44s} {common.summary_ms(path.timings)} ({path.note}{sql})", flush=True)


def table_print(paths: list[Path_]) -> None:
    print("\n| path | target p95 | n | p50 ms | p95 ms | p99 ms | SQL p50 ms | met |", flush=True)
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for path in paths:
        p95 = common.percentile(path.timings, 0.95)
        sql = f"{statistics.median(path.sql) * 1000:.1f}" if path.sql else ""
        print(
            f"| {path.name} | < {path.target * 1000:.0f} ms | {len(path.timings)} | "
            f"{statistics.median(path.timings) * 1000:.1f} | {p95 * 1000:.1f} | "
            f"{common.percentile(path.timings, 0.99) * 1000:.1f} | {sql} | {'yes' if p95 < path.target else '**no**'} |"
        )
    missed = [path.name for path in paths if common.percentile(path.timings, 0.95) >= path.target]
    inbox = [value for path in paths if path.target == INBOX_TARGET for value in path.timings]
    dashboard = [value for path in paths if path.target == DASHBOARD_TARGET for value in path.timings]
    print(
        f"\nyear inbox p95 (all paths): {common.percentile(inbox, 0.95) * 1000:.1f} ms; "
        f"dashboard p95 (all ranges): {common.percentile(dashboard, 0.95) * 1000:.1f} ms; "
        f"paths missing their target: {', '.join(missed) or 'none'}",
        flush=True,
    )


def sizes_print() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database())),"
            " pg_size_pretty(pg_relation_size('inbox_mention')),"
            " pg_size_pretty(pg_indexes_size('inbox_mention')),"
            " (SELECT reltuples::bigint FROM pg_class WHERE relname = 'inbox_mention'),"
            " (SELECT count(*) FROM inbox_mentioncluster),"
            " (SELECT count(*) FROM inbox_mentionminutestat), (SELECT count(*) FROM inbox_mentionhourstat)"
        )
        database, heap, indexes, mentions, clusters, minutes, hours = cursor.fetchone()
    print(
        f"sizes: database {database}, inbox_mention heap {heap} + indexes {indexes}, ~{mentions:,} mentions, "
        f"{clusters:,} clusters, {minutes:,} minute and {hours:,} hour rollup rows",
        flush=True,
    )


def main() -> int:
    args = _arguments()
    os.nice(10)
    with common.exclusive():
        return _main(args)


def _arguments() -> argparse.Namespace:
    parser = common.arguments(__doc__)
    parser.add_argument("--mentions", type=int, default=20_000_000)
    parser.add_argument("--authors", type=int, default=500_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the loaded database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by --keep without loading")
    parser.add_argument("--load-only", action="store_true", help="load (and keep) without measuring")
    args = parser.parse_args()
    if args.quick:
        args.mentions, args.authors, args.repeats = 60_000, 2_000, 5
    return args


def _main(args: argparse.Namespace) -> int:
    database = QUICK_DATABASE if args.quick else DATABASE
    loaded_now = loaded(database, args.mentions) if args.reuse else None
    with common.bench_database(
        database=database,
        prefix=PREFIX,
        keep=args.keep or args.load_only or loaded_now is not None,
        reuse=loaded_now is not None,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SHARED_PAGE_SECONDS="0",  # every read from the database, not a page shared between viewers
    ):
        from django.db import connection
        from django.test import Client

        from crisisdesk.models import User

        if loaded_now is None:
            now = datetime.now(UTC)
            ids = fixtures_create(now, brands=BRANDS, authors=args.authors, history=timedelta(days=DAYS + 30))
            from inbox.models import Channel

            ids["channel_brands"] = dict(Channel.objects.values_list("pk", "brand"))
            seconds = year_load(count=args.mentions, now=now, ids=ids)
            response_histogram_fill()
            with connection.cursor() as cursor:
                cursor.execute(MARKER_SQL)
                cursor.execute("INSERT INTO bench_year_load VALUES (%s, %s, %s)", [args.mentions, now, seconds])
            print(
                f"loaded {args.mentions:,} mentions over {MONTHS} months in {seconds:.0f}s "
                "(COPY a month at a time, vectors, rollups, clusters, indexes, VACUUM ANALYZE; one process, nice 10)",
                flush=True,
            )
        else:
            now = loaded_now
            print(f"reusing the {args.mentions:,} mentions loaded at {now.isoformat()}", flush=True)
        from inbox.stats import hour_stats_roll

        started = time.perf_counter()
        rolled = hour_stats_roll(now=now)
        print(
            f"hourly rollup: {rolled:,} rows summed in {time.perf_counter() - started:.1f}s (what beat does)",
            flush=True,
        )
        sizes_print()
        common.print_load("before measuring")
        if args.load_only:
            return 0
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username="cm0"))
        paths = inbox_measure(client, repeats=args.repeats)
        paths += dashboard_measure(now=now, repeats=args.repeats)
        table_print(paths)
        common.print_load("at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
