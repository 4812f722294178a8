"""The per-minute rollup the pipeline keeps in bulk: one upsert per batch, never a query per mention.

The hourly rollup (`MentionHourStat`) is summed from it by beat, so long dashboard ranges read hours.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Max, Min, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from inbox.models import Channel, Mention, MentionHourStat, MentionMinuteStat, MentionResponseStat

HIGH_REACH_FOLLOWERS = 10_000
COUNTERS = ("volume", "negative", "positive", "complaints", "high_reach", "reach")
# Each roll sums again the hours just before the last one rolled: a batch may commit a moment after its minute.
HOUR_ROLL_OVERLAP = timedelta(hours=2)
HOUR_ROLL_STEP = timedelta(days=1)
# First-response buckets: 0 is under a second, bucket b (b ≥ 1) from 1.25^(b-1) to 1.25^b seconds.
RESPONSE_BUCKET_RATIO = 1.25
ALL_TOPICS = ""
# One like, repost or reply counts as this many people reached; an audience is measured in thousands.
ENGAGEMENT_AUDIENCE = 20
AUDIENCE_UNIT = 1_000


def reach_weight(*, followers: int, engagement: int) -> float:
    """What one mention weighs in reach-weighted detection: 1 + log2(1 + audience / 1000).

    The audience is the author's followers plus 20 per like, repost or reply. An ordinary author
    weighs about 1, a million-follower account with a viral post about 11: a few very loud voices
    weigh like a crowd, while the logarithm keeps one outlier from making a spike on its own.
    """
    audience = max(0, followers) + ENGAGEMENT_AUDIENCE * max(0, engagement)
    return 1.0 + math.log2(1.0 + audience / AUDIENCE_UNIT)


def minute_stats_record(*, channel: Channel, rows: list[dict[str, Any]]) -> None:
    """Add a batch to the counters of (minute, brand, channel, topic); topic "" counts everything."""
    buckets: dict[tuple, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0.0])
    for row in rows:
        minute = row["received_at"].replace(second=0, microsecond=0)
        weight = reach_weight(followers=row.get("_followers", 0), engagement=row.get("engagement", 0))
        for topic in [ALL_TOPICS, *row.get("_topics", [])]:
            counts = buckets[(minute, topic)]
            counts[0] += 1
            counts[1] += row["sentiment"] == "negative"
            counts[2] += row["sentiment"] == "positive"
            counts[3] += row["category"] == "complaint"
            counts[4] += row.get("_followers", 0) >= HIGH_REACH_FOLLOWERS
            counts[5] += weight
    if not buckets:
        return
    table = connection.ops.quote_name(MentionMinuteStat._meta.db_table)
    columns = "minute, brand, channel_id, topic, volume, negative, positive, complaints, high_reach, reach"
    values_sql = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(buckets))
    params: list[Any] = []
    minute_field = MentionMinuteStat._meta.get_field("minute")
    for (minute, topic), counts in sorted(buckets.items()):
        params += [minute_field.get_db_prep_save(minute, connection), channel.brand, channel.pk, topic, *counts]
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {values_sql} "
        "ON CONFLICT (minute, brand, channel_id, topic) DO UPDATE SET "
        f"volume = {table}.volume + excluded.volume, negative = {table}.negative + excluded.negative, "
        f"positive = {table}.positive + excluded.positive, complaints = {table}.complaints + excluded.complaints, "
        f"high_reach = {table}.high_reach + excluded.high_reach, reach = {table}.reach + excluded.reach"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def hour_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hours_rolled() -> tuple[datetime | None, datetime | None]:
    """The first and the last hour in the hourly rollup; every hour between them has been rolled."""
    bounds = MentionHourStat.objects.aggregate(first=Min("hour"), last=Max("hour"))
    return bounds["first"], bounds["last"]


def hour_stats_roll(*, now: datetime | None = None) -> int:
    """Sum the minute rollup into whole hours up to the last complete hour; returns the rows written.

    Starts a little before the last hour rolled (or at the first minute, to fill an empty rollup), a
    day per statement, oldest first, so the rolled hours never have a gap. Idempotent: each hour's
    rows are replaced by the sums of its minutes, so two beats or a re-run do no harm.
    """
    until = hour_floor(now or timezone.now())
    _first, last = hours_rolled()
    if last is not None:
        since = last - HOUR_ROLL_OVERLAP
    else:
        first_minute = MentionMinuteStat.objects.aggregate(first=Min("minute"))["first"]
        if first_minute is None:
            return 0
        since = hour_floor(first_minute)
    written = 0
    while since < until:
        step_end = min(since + HOUR_ROLL_STEP, until)
        rows = (
            MentionMinuteStat.objects.filter(minute__gte=since, minute__lt=step_end)
            .annotate(hour=TruncHour("minute", tzinfo=UTC))
            .values("hour", "brand", "channel_id", "topic")
            .annotate(**{name: Sum(name) for name in COUNTERS})
            .order_by()
        )
        stats = [MentionHourStat(**row) for row in rows]
        MentionHourStat.objects.bulk_create(
            stats,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["hour", "brand", "channel", "topic"],
            update_fields=list(COUNTERS),
        )
        written += len(stats)
        since = step_end
    return written


def response_bucket(seconds: float) -> int:
    return 0 if seconds < 1 else 1 + int(math.log(seconds) / math.log(RESPONSE_BUCKET_RATIO))


def response_bucket_bounds(bucket: int) -> tuple[float, float]:
    return (0.0, 1.0) if bucket == 0 else (RESPONSE_BUCKET_RATIO ** (bucket - 1), RESPONSE_BUCKET_RATIO**bucket)


def response_stat_add(*, mention: Mention, delta: int) -> None:
    """Count (`delta` 1) or take back (-1) a mention's first response in its hour's histogram.

    Called in the transaction that sets or clears `first_response_at`, so the two never disagree.
    """
    if mention.first_response_at is None:
        return
    seconds = (mention.first_response_at - mention.received_at).total_seconds()
    table = connection.ops.quote_name(MentionResponseStat._meta.db_table)
    hour_field = MentionResponseStat._meta.get_field("hour")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (hour, brand, bucket, answered) VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT (hour, brand, bucket) DO UPDATE SET answered = {table}.answered + excluded.answered",
            [
                hour_field.get_db_prep_save(hour_floor(mention.received_at), connection),
                mention.channel.brand,
                response_bucket(seconds),
                delta,
            ],
        )


def histogram_percentile(counts: dict[int, int], fraction: float) -> float | None:
    """The `fraction` quantile of a first-response histogram, interpolated inside its bucket."""
    total = sum(counts.values())
    if total <= 0:
        return None
    rank = fraction * total
    seen = 0
    for bucket in sorted(counts):
        count = counts[bucket]
        if count > 0 and seen + count >= rank:
            low, high = response_bucket_bounds(bucket)
            return low + (high - low) * (rank - seen) / count
        seen += count
    return response_bucket_bounds(max(counts))[1]
