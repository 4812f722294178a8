"""The per-minute rollup the pipeline keeps in bulk: one upsert per batch, never a query per mention."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from django.db import connection

from inbox.models import Channel, MentionMinuteStat

HIGH_REACH_FOLLOWERS = 10_000
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
