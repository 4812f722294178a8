"""Inbox list API and director dashboard latency at 200,000 and 2,000,000 mentions.

    python bench/inbox_query.py [--quick] [--small 200000] [--large 2000000] [--repeats 40]

The small set is the last three days of a telecom brand (46 mentions a minute, the last hours
mostly open); the large one adds 27 days of answered history, as a growing table would. They are
loaded with COPY into a staging table and moved into `inbox_mention` with their full-text vector; the
per-minute rollup is built from them the way the pipeline keeps it. Secondary indexes are dropped
for the load and rebuilt from the migrations' own definitions, then VACUUM ANALYZE. Each request goes
through the real stack in-process (Django test client → DRF → selectors → PostgreSQL), logged in
as a community manager; the dashboard figures are `playbooks.dashboard.dashboard_figures()`.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.corpus import mention_text  # noqa: E402

DATABASE = "crisisdesk_bench_query"
PREFIX = "bench_query"
AUTHORS = 50_000
RECENT = 3 * 86400  # the small data set: the last three days
HISTORY = 30 * 86400  # the large one adds the 27 days before
CHANNELS = [
    ("X", "x"),
    ("Mastodon", "mastodon"),
    ("Facebook", "facebook"),
    ("Instagram", "instagram"),
    ("Webhook", "webhook"),
]
NEGATIVE_WORDS = ("sin ", "vergüenza", "inútiles", "fatal", "cobrado", "no ")
POSITIVE_WORDS = ("gracias", "genial", "perfecto", "contento", "thanks")
TOPICS = [
    ("outage", ("sin servicio", "sin internet", "caída", "avería", "no signal")),
    ("billing", ("factura", "cobrado", "cargo", "charged", "precio")),
]
QUERIES = [
    ("open inbox (default)", ""),
    ("new complaints", "?status=new&category=complaint"),
    ("negative on X", "?sentiment=negative&channel=x"),
    ("mine", "?mine=true"),
    ("all statuses, Spanish", "?status=all&language=es"),
    ("search 'factura'", "?status=all&q=factura"),
    ("search 'sin servicio Sevilla'", "?status=all&q=sin+servicio+Sevilla"),
    ("search open 'denuncia'", "?q=denuncia"),
    ("work queue by priority", "?sort=priority"),
    ("work queue, unassigned", "?sort=priority&unassigned=true"),
]
STAGING_COLUMNS = [
    "channel_id",
    "external_id",
    "author_id",
    "text",
    "language",
    "posted_at",
    "received_at",
    "sentiment",
    "sentiment_score",
    "category",
    "priority",
    "suggested_action",
    "status",
    "assignee_id",
    "assigned_at",
    "first_response_at",
    "is_hidden",
    "topic",
    "cluster_id",
]


SECONDARY_INDEXES_SQL = """
SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'inbox_mention'
AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'inbox_mention'::regclass)
"""
STAGING_SQL = """
CREATE UNLOGGED TABLE IF NOT EXISTS bench_staging (
    channel_id bigint, external_id text, author_id bigint, text text, language text, posted_at timestamptz,
    received_at timestamptz, sentiment text, sentiment_score double precision, category text,
    priority smallint,
    suggested_action text, status text, assignee_id bigint, assigned_at timestamptz,
    first_response_at timestamptz, is_hidden boolean, topic text, cluster_id bigint
)
"""
# The rollup as the pipeline keeps it: per minute, channel and topic ("" counts everything).
ROLLUP_SQL = """
INSERT INTO inbox_mentionminutestat
    (minute, brand, channel_id, topic, volume, negative, positive, complaints, high_reach)
SELECT date_trunc('minute', received_at), channel.brand, channel_id, topic_name, count(*),
       count(*) FILTER (WHERE sentiment = 'negative'), count(*) FILTER (WHERE sentiment = 'positive'),
       count(*) FILTER (WHERE category = 'complaint'), 0
FROM bench_staging JOIN inbox_channel AS channel ON channel.id = channel_id
CROSS JOIN LATERAL (VALUES (''), (NULLIF(topic, ''))) AS topics(topic_name)
WHERE topic_name IS NOT NULL
GROUP BY 1, 2, 3, 4
ON CONFLICT (minute, brand, channel_id, topic) DO UPDATE SET
    volume = inbox_mentionminutestat.volume + excluded.volume,
    negative = inbox_mentionminutestat.negative + excluded.negative,
    positive = inbox_mentionminutestat.positive + excluded.positive,
    complaints = inbox_mentionminutestat.complaints + excluded.complaints
"""


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class RowStream(io.TextIOBase):
    """A file-like object COPY reads from; rows are generated as it asks, so 2M rows never sit in memory."""

    def __init__(self, rows) -> None:
        self._rows = rows
        self._buffer = ""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        while size < 0 or len(self._buffer) < size:
            chunk = []
            for row in self._rows:
                chunk.append("\t".join(_copy_value(value) for value in row))
                if len(chunk) >= 2000:
                    break
            if not chunk:
                break
            self._buffer += "\n".join(chunk) + "\n"
        if size < 0:
            data, self._buffer = self._buffer, ""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _text_pool(rng: random.Random, size: int = 5000) -> list[tuple[str, str, str, str, float]]:
    """Texts with their labels, computed once: generation, not triage, is what this benchmark loads."""
    pool = []
    for _ in range(size):
        text = mention_text(rng)
        lowered = text.lower()
        negative = any(word in lowered for word in NEGATIVE_WORDS)
        positive = any(word in lowered for word in POSITIVE_WORDS)
        sentiment = "negative" if negative and not positive else "positive" if positive else "neutral"
        category = "complaint" if negative else "praise" if positive else "question" if "?" in text else "other"
        topic = next((name for name, words in TOPICS if any(word in lowered for word in words)), "")
        score = {"negative": -0.6, "positive": 0.6}.get(sentiment, 0.0)
        pool.append((text, sentiment, category, topic, score))
    return pool


def mention_rows(*, start_number: int, count: int, now: datetime, ages: tuple[float, float], seed: int, ids: dict):
    """Mentions received between `ages` (seconds before now), in arrival order like the pipeline.

    The last hours are mostly open, the last days partly, history almost all answered.
    """
    rng = random.Random(seed)
    pool = _text_pool(rng)
    channel_ids, author_ids, manager_ids = ids["channel_ids"], ids["author_ids"], ids["manager_ids"]
    newest, oldest = ages
    step = (oldest - newest) / count
    for offset in range(count):
        age = oldest - offset * step
        received = now - timedelta(seconds=age)
        text, sentiment, category, topic, score = pool[rng.randrange(len(pool))]
        open_share = 0.6 if age < 6 * 3600 else 0.05 if age < 3 * 86400 else 0.001
        if rng.random() < open_share:
            status = rng.choice(("new", "new", "assigned", "escalated"))
        else:
            status = rng.choice(("replied", "replied", "replied", "closed"))
        assignee = rng.choice(manager_ids) if status in ("assigned", "replied", "escalated") else None
        assigned_at = received + timedelta(minutes=rng.randint(1, 20)) if assignee else None
        first_response = (
            received + timedelta(seconds=int(rng.lognormvariate(6.5, 1.0))) if status == "replied" else None
        )
        yield (
            rng.choice(channel_ids),
            f"q{start_number + offset}",
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
            assigned_at,
            first_response,
            rng.random() < 0.02,
            topic,
            None,
        )


def mentions_load(
    *, count: int, start_number: int, seed: int, now: datetime, ages: tuple[float, float], ids: dict
) -> float:
    """COPY `count` mentions in, with the secondary indexes dropped and rebuilt; returns seconds."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor, secondary_indexes_dropped(cursor):
        rows = mention_rows(start_number=start_number, count=count, now=now, ages=ages, seed=seed, ids=ids)
        staging_move(cursor, rows)
    return time.perf_counter() - started


@contextmanager
def secondary_indexes_dropped(cursor) -> Iterator[None]:
    """The mention table's secondary indexes dropped for a load, rebuilt from their own definitions after it."""
    cursor.execute("SET maintenance_work_mem = '512MB'")
    cursor.execute(SECONDARY_INDEXES_SQL)
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for _, definition in indexes:
        cursor.execute(definition)
    # What autovacuum does on a live system: statistics, and a visibility map for index-only scans.
    cursor.execute("VACUUM ANALYZE inbox_mention")
    cursor.execute("VACUUM ANALYZE inbox_mentionminutestat")


def staging_move(cursor, rows: Iterable[tuple]) -> None:
    """COPY `rows` (in `STAGING_COLUMNS` order) into the staging table, then into `inbox_mention` with
    their full-text vector, oldest first, and add them to the per-minute rollup."""
    from django.db import connection

    from inbox.models import Mention

    targets = {field.column: field for field in Mention._meta.concrete_fields if field.column != "id"}
    cursor.execute(STAGING_SQL)
    cursor.execute("TRUNCATE bench_staging")
    cursor.cursor.copy_expert(
        f"COPY bench_staging ({', '.join(STAGING_COLUMNS)}) FROM STDIN", RowStream(iter(rows)), size=1 << 20
    )
    select = {column: column for column in STAGING_COLUMNS if column in targets}
    select.update(
        {
            "conversation_id": "external_id",
            "search_vector": "to_tsvector('simple'::regconfig, text)",
            "raw": "'{}'::jsonb",
            "triage_reasons": "'[]'::jsonb",
            "triage_tier": "'fast'",
        }
    )
    for column, field in targets.items():
        if column in select:
            continue
        if field.null:
            select[column] = "NULL"
        else:
            cursor.execute("SELECT %s", [field.get_db_prep_save(field.get_default(), connection)])
            select[column] = connection.ops.compose_sql("%s", [cursor.fetchone()[0]])
    columns = [column for column in select if column in targets]
    cursor.execute(
        f"INSERT INTO inbox_mention ({', '.join(columns)}) "
        f"SELECT {', '.join(select[column] for column in columns)} "
        "FROM bench_staging ORDER BY received_at"
    )
    cursor.execute(ROLLUP_SQL)
    cursor.execute("TRUNCATE bench_staging")


def fixtures_create(
    now: datetime,
    *,
    brands: Sequence[str] = ("Telco",),
    authors: int = AUTHORS,
    history: timedelta = timedelta(days=60),
) -> dict:
    """Each brand's channels, eight community managers, a director and `authors` authors."""
    from django.db import connection

    from crisisdesk.models import User
    from inbox.models import Channel

    channel_ids = [
        Channel.objects.create(name=f"{label} {brand}", kind=kind, brand=brand).pk
        for brand in brands
        for label, kind in CHANNELS
    ]
    managers = [
        User.objects.create_user(
            username=f"cm{number}", password=None, role="community_manager", first_name=f"CM {number}"
        )
        for number in range(8)
    ]
    User.objects.create_user(username="director", password=None, role="director")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inbox_author (platform, external_id, handle, display_name, followers, verified,"
            " first_seen_at, mention_count, complaint_count, hidden_as_troll_count) "
            "SELECT 'x', 'a' || n, 'user' || n, 'User ' || n, (n::bigint * 7919) %% 20000, n %% 97 = 0, %s, 0, 0, 0 "
            "FROM generate_series(1, %s) AS n",
            [now - history, authors],
        )
        cursor.execute("SELECT id FROM inbox_author")
        author_ids = [row[0] for row in cursor.fetchall()]
    return {
        "channel_ids": channel_ids,
        "author_ids": author_ids,
        "manager_ids": [user.pk for user in managers],
    }


def database_times(client, url: str, *, repeats: int) -> list[float]:
    """Time spent in PostgreSQL per request (all its queries), to separate SQL from Python."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        times.append(sum(float(query["time"]) for query in captured.captured_queries))
    return times


def measure(*, repeats: int, label: str) -> dict[str, list[float]]:
    from django.test import Client

    from crisisdesk.models import User
    from playbooks.dashboard import dashboard_figures

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="cm0"))
    director = Client(HTTP_HOST="127.0.0.1")
    director.force_login(User.objects.get(username="director"))
    results: dict[str, list[float]] = {}
    next_url = ""
    for name, query in QUERIES:
        timings = []
        for attempt in range(repeats + 2):
            started = time.perf_counter()
            response = client.get(f"/api/mentions/{query}")
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{name}: HTTP {response.status_code}: {response.content[:300]!r}")
            if attempt >= 2:
                timings.append(elapsed)
        body = json.loads(response.content)
        results[name] = timings
        database = database_times(client, f"/api/mentions/{query}", repeats=max(3, repeats // 4))
        results[f"db: {name}"] = database
        if not next_url and body.get("next"):
            next_url = body["next"].split("testserver", 1)[-1].split("127.0.0.1", 1)[-1]
        print(
            f"  [{label}] inbox API {name:32s} {common.summary_ms(timings)} "
            f"({len(body.get('results', []))} rows on the page; SQL alone p50 "
            f"{statistics.median(database) * 1000:.2f}ms)",
            flush=True,
        )
    if next_url:
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get(next_url)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:200]
        results["next page (cursor)"] = timings
        print(f"  [{label}] inbox API {'next page (cursor)':32s} {common.summary_ms(timings)}", flush=True)
    timings = []
    for attempt in range(repeats + 2):
        started = time.perf_counter()
        figures = dashboard_figures()
        if attempt >= 2:
            timings.append(time.perf_counter() - started)
    results["dashboard figures"] = timings
    print(
        f"  [{label}] dashboard_figures()               {common.summary_ms(timings)} "
        f"(24h volume {figures.volume}, unanswered {figures.unanswered}, first response p50/p90 "
        f"{figures.first_response.p50_seconds}/{figures.first_response.p90_seconds}s)",
        flush=True,
    )
    timings = []
    for attempt in range(repeats + 2):
        started = time.perf_counter()
        response = director.get("/dashboard/data/")
        if attempt >= 2:
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    results["dashboard over HTTP"] = timings
    print(f"  [{label}] GET /dashboard/data/ (director)   {common.summary_ms(timings)}", flush=True)
    api = [value for name, values in results.items() if not name.startswith(("dashboard", "db: ")) for value in values]
    sql = [value for name, values in results.items() if name.startswith("db: ") for value in values]
    print(
        f"inbox API all queries at {label}: {common.summary_ms(api)}; SQL alone: {common.summary_ms(sql)}",
        flush=True,
    )
    return results


def main() -> int:
    args = _arguments()
    with common.exclusive():
        return _main(args)


def _arguments() -> argparse.Namespace:
    parser = common.arguments(__doc__)
    parser.add_argument("--small", type=int, default=200_000)
    parser.add_argument("--large", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()
    if args.quick:
        args.small, args.large, args.repeats = 10_000, 20_000, 5

    return args


def _main(args: argparse.Namespace) -> int:
    # Every read from the database: a page shared between viewers (crisisdesk/shared_pages.py) would time the
    # cache on each repeat; bench/load.py measures that path.
    with common.bench_database(
        database=DATABASE, prefix=PREFIX, keep=args.keep, ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SHARED_PAGE_SECONDS="0",
    ):
        now = datetime.now(UTC)
        ids = fixtures_create(now)
        seconds = mentions_load(count=args.small, start_number=0, seed=1, now=now, ages=(0, RECENT), ids=ids)
        print(
            f"loaded {args.small:,} mentions (the last 3 days) in {seconds:.1f}s "
            "(COPY, vectors, rollups, indexes, VACUUM ANALYZE)",
            flush=True,
        )
        small = measure(repeats=args.repeats, label=f"{args.small:,}")
        seconds = mentions_load(
            count=args.large - args.small,
            start_number=args.small,
            seed=2,
            now=now,
            ages=(RECENT, HISTORY),
            ids=ids,
        )
        print(
            f"loaded {args.large - args.small:,} older mentions (27 days of history) in {seconds:.1f}s",
            flush=True,
        )
        large = measure(repeats=args.repeats, label=f"{args.large:,}")
        print(f"growth {args.small:,} -> {args.large:,} (p95, ms):", flush=True)
        for name in large:
            before, after = (
                common.percentile(small[name], 0.95) * 1000,
                common.percentile(large[name], 0.95) * 1000,
            )
            ratio = f"x{after / before:.2f}" if before else "n/a"
            print(f"  {name:34s} {before:8.2f} -> {after:8.2f}  ({ratio})", flush=True)
        api_small = [v for n, vs in small.items() if not n.startswith(("dashboard", "db: ")) for v in vs]
        api_large = [v for n, vs in large.items() if not n.startswith(("dashboard", "db: ")) for v in vs]
        print(
            f"inbox API p95: {common.percentile(api_small, 0.95) * 1000:.2f} ms at {args.small:,}, "
            f"{common.percentile(api_large, 0.95) * 1000:.2f} ms at {args.large:,} (target < 30 ms)",
            flush=True,
        )
        print(
            f"dashboard p95: {common.percentile(large['dashboard figures'], 0.95) * 1000:.2f} ms at "
            f"{args.large:,} (target < 150 ms); "
            f"median {statistics.median(large['dashboard figures']) * 1000:.2f} ms",
            flush=True,
        )
        common.print_load("at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
