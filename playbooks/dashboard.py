"""The director dashboard's figures, over a time range the director chooses.

Volumes, sentiment, topics and channels come from the rollups the pipeline keeps, never from a scan of
the mentions table: whole hours from the hourly rollup (`MentionHourStat`), the rest per minute
(`MentionMinuteStat`), so a month reads about 60 times fewer rows than minute by minute. Response
times read mentions over the range: the ones still waiting count at their current age, so a flood
nobody has answered yet shows as slow, not as the few quick replies given so far. A drill's mentions, alerts, crises and
requests (`inbox.drills`) count in none of the figures; the drills running are named apart.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from crisisdesk.dbrouter import replica_tolerant
from escalation import silence
from escalation.models import PENDING_STATUSES, EscalationRequest
from inbox.drills import DRILL_BRAND_PREFIX, DRILL_KIND
from inbox.models import Channel, Mention, MentionHourStat, MentionMinuteStat
from inbox.stats import hour_floor, hours_rolled
from playbooks.dashboard_response import (
    UNANSWERED_STATUSES,
    FirstResponse,
    _first_response,
    _hour_ceil,
)
from playbooks.errors import TranslatableError
from playbooks.models import OPEN_CRISIS_STATUSES, Alert, AlertStatus, Crisis, Drill, DrillStatus

# The preset ranges and the bucket (minutes) that gives each chart a readable number of points.
RANGES: dict[str, tuple[timedelta, int]] = {
    "1h": (timedelta(hours=1), 1),
    "6h": (timedelta(hours=6), 5),
    "24h": (timedelta(hours=24), 15),
    "7d": (timedelta(days=7), 120),
}
DEFAULT_RANGE = "24h"
CUSTOM_RANGE_MAX = timedelta(days=31)
BUCKET_STEPS = (1, 5, 15, 30, 60, 120, 360, 720, 1440)
MAX_POINTS = 200
COST_OF_SILENCE_ROWS = 5


class DashboardRangeInvalid(TranslatableError):
    """The range asked for cannot be shown; the message says why (the page and API answer 400)."""


@dataclass(frozen=True)
class DashboardRange:
    key: str
    since: datetime
    until: datetime
    bucket_minutes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "bucket_minutes": self.bucket_minutes,
        }


def _custom_bound(value: str) -> datetime:
    parsed = parse_datetime(value.strip()) if value else None
    if parsed is None:
        raise DashboardRangeInvalid(_("Give the range's start and end as dates and times."))
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def dashboard_range_parse(
    *, key: str | None, start: str = "", end: str = "", now: datetime | None = None
) -> DashboardRange:
    """A preset (`1h`, `6h`, `24h`, `7d`) or `custom` with start and end in the current time zone."""
    now = now or timezone.now()
    key = key or DEFAULT_RANGE
    if key in RANGES:
        length, bucket = RANGES[key]
        return DashboardRange(key=key, since=now - length, until=now, bucket_minutes=bucket)
    if key != "custom":
        raise DashboardRangeInvalid(_("Choose a range: 1 h, 6 h, 24 h, 7 days or custom."))
    since, until = _custom_bound(start), _custom_bound(end)
    if since >= until:
        raise DashboardRangeInvalid(_("The range must end after it starts."))
    if until - since > CUSTOM_RANGE_MAX:
        raise DashboardRangeInvalid(_("A custom range covers at most 31 days."))
    minutes = (until - since).total_seconds() / 60
    bucket = next((step for step in BUCKET_STEPS if minutes / step <= MAX_POINTS), BUCKET_STEPS[-1])
    return DashboardRange(key="custom", since=since, until=min(until, now), bucket_minutes=bucket)


@dataclass
class DashboardFigures:
    generated_at: str
    range: dict[str, Any] = field(default_factory=dict)
    levels: list[dict[str, Any]] = field(default_factory=list)
    per_minute: list[dict[str, Any]] = field(default_factory=list)
    volume: int = 0
    sentiment_share: dict[str, float] = field(default_factory=dict)
    top_topics: list[dict[str, Any]] = field(default_factory=list)
    channels: list[dict[str, Any]] = field(default_factory=list)
    first_response: FirstResponse = field(default_factory=FirstResponse)
    oldest_waiting_seconds: float | None = None
    unanswered: int = 0
    escalations: list[dict[str, Any]] = field(default_factory=list)
    open_alerts: list[dict[str, Any]] = field(default_factory=list)
    drills: list[dict[str, Any]] = field(default_factory=list)  # running drills: named, never counted

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@replica_tolerant  # a director's figures may be a moment old: from the read replica when there is one
def dashboard_figures(*, window: DashboardRange | None = None, now: datetime | None = None) -> DashboardFigures:
    """Every figure of the dashboard for one range, in a fixed number of queries whatever the data size."""
    now = now or timezone.now()
    window = window or dashboard_range_parse(key=DEFAULT_RANGE, now=now)
    figures = DashboardFigures(generated_at=now.isoformat(), range=window.as_dict())
    figures.levels = _levels()
    parts = _rollup_parts(window)
    figures.per_minute = _per_bucket(parts, window=window)
    totals = _rollup_totals(parts)
    figures.volume, figures.sentiment_share = _volume_and_sentiment(totals)
    figures.top_topics = _top_topics(totals)
    figures.channels = _channels(totals)
    figures.first_response = _first_response(window=window, now=now)
    waiting = Mention.objects.filter(status__in=UNANSWERED_STATUSES, is_hidden=False).exclude(channel__kind=DRILL_KIND)
    counts = waiting.aggregate(count=Count("id"), oldest=Min("received_at"))
    figures.unanswered = counts["count"]
    figures.oldest_waiting_seconds = round((now - counts["oldest"]).total_seconds(), 1) if counts["oldest"] else None
    figures.escalations = _escalations(now=now)
    figures.open_alerts = _open_alerts()
    figures.drills = _drills_running()
    return figures


def _levels() -> list[dict[str, Any]]:
    brands = set(Channel.objects.exclude(kind=DRILL_KIND).values_list("brand", flat=True).distinct())
    open_levels = dict(
        Crisis.objects.filter(status__in=OPEN_CRISIS_STATUSES)
        .exclude(brand__startswith=DRILL_BRAND_PREFIX)
        .values_list("brand")
        .annotate(level=Max("level"))
    )
    return [{"brand": brand, "level": open_levels.get(brand, 0)} for brand in sorted(brands | set(open_levels))]


# A slice of the range's rollup: a queryset of minute or hour rows, and the name of its time column.
RollupPart = tuple[QuerySet[Any], str]


def _rollup_parts(window: DashboardRange) -> list[RollupPart]:
    """The range's rollup: its whole hours from the hourly rollup where rolled, the rest per minute.

    The last hour rolled is read per minute too: the next roll may still add a late batch to it.
    """
    minutes = MentionMinuteStat.objects.exclude(brand__startswith=DRILL_BRAND_PREFIX)
    first, last = hours_rolled()
    start, end = _hour_ceil(window.since), hour_floor(window.until)
    if first is not None and last is not None:
        start, end = max(start, first), min(end, last)
    if first is None or start >= end:
        return [(minutes.filter(minute__gte=window.since, minute__lt=window.until), "minute")]
    hours = MentionHourStat.objects.exclude(brand__startswith=DRILL_BRAND_PREFIX)
    return [
        (hours.filter(hour__gte=start, hour__lt=end), "hour"),
        (minutes.filter(minute__gte=window.since, minute__lt=start), "minute"),
        (minutes.filter(minute__gte=end, minute__lt=window.until), "minute"),
    ]


@dataclass
class _Tally:
    volume: int = 0
    negative: int = 0
    positive: int = 0


def _rollup_totals(parts: list[RollupPart]) -> dict[tuple[int, str], _Tally]:
    """Volume, negative and positive per (channel, topic) over the range: one grouped query per part."""
    totals: dict[tuple[int, str], _Tally] = {}
    for queryset, _at in parts:
        rows = (
            queryset.values("channel_id", "topic")
            .annotate(volume=Sum("volume"), negative=Sum("negative"), positive=Sum("positive"))
            .values_list("channel_id", "topic", "volume", "negative", "positive")
            .order_by()
        )
        for channel_id, topic, volume, negative, positive in rows:
            tally = totals.setdefault((channel_id, topic), _Tally())
            tally.volume += volume or 0
            tally.negative += negative or 0
            tally.positive += positive or 0
    return totals


def _volume_and_sentiment(totals: dict[tuple[int, str], _Tally]) -> tuple[int, dict[str, float]]:
    everything = [tally for (_channel, topic), tally in totals.items() if topic == ""]
    volume = sum(tally.volume for tally in everything)
    if not volume:
        return 0, {}
    negative, positive = sum(tally.negative for tally in everything), sum(tally.positive for tally in everything)
    return volume, {
        "negative": round(negative / volume, 3),
        "neutral": round((volume - negative - positive) / volume, 3),
        "positive": round(positive / volume, 3),
    }


def _top_topics(totals: dict[tuple[int, str], _Tally]) -> list[dict[str, Any]]:
    topics: dict[str, _Tally] = {}
    for (_channel, topic), tally in totals.items():
        if topic:
            summed = topics.setdefault(topic, _Tally())
            summed.volume += tally.volume
            summed.negative += tally.negative
    ranked = sorted(topics.items(), key=lambda item: (-item[1].volume, item[0]))[:10]
    return [{"topic": topic, "volume": tally.volume, "negative": tally.negative} for topic, tally in ranked]


def _per_bucket(parts: list[RollupPart], *, window: DashboardRange) -> list[dict[str, Any]]:
    """Mentions per minute, averaged over buckets so the whole range fits one chart.

    Buckets of whole hours start on the hour, so hourly rows fall into one bucket each; shorter
    buckets read the range per minute.
    """
    size = window.bucket_minutes
    if size % 60:
        origin = window.since.replace(second=0, microsecond=0)
        parts = [
            (
                MentionMinuteStat.objects.exclude(brand__startswith=DRILL_BRAND_PREFIX).filter(
                    minute__gte=window.since, minute__lt=window.until
                ),
                "minute",
            )
        ]
    else:
        origin = hour_floor(window.since)
    buckets: dict[int, list[int]] = {}
    for queryset, at in parts:
        rows = (
            queryset.filter(topic="")
            .values(at)
            .annotate(summed_volume=Sum("volume"), summed_negative=Sum("negative"))
            .values_list(at, "summed_volume", "summed_negative")
            .order_by()
        )
        for moment, volume, negative in rows:
            index = int((moment - origin).total_seconds() // 60) // size
            counts = buckets.setdefault(index, [0, 0])
            counts[0] += volume
            counts[1] += negative
    total = max(1, math.ceil((window.until - origin).total_seconds() / 60 / size))
    points = []
    for index in range(total):
        volume, negative = buckets.get(index, [0, 0])
        start = origin + timedelta(minutes=index * size)
        points.append({"start": start.isoformat(), "per_minute": round(volume / size, 2), "negative": negative})
    return points


def _channels(totals: dict[tuple[int, str], _Tally]) -> list[dict[str, Any]]:
    per_channel: dict[int, _Tally] = {}
    for (channel_id, topic), tally in totals.items():
        if topic == "":
            per_channel[channel_id] = tally
    names = {
        pk: (name, kind)
        for pk, name, kind in Channel.objects.filter(pk__in=per_channel).values_list("pk", "name", "kind")
    }
    rows = sorted(per_channel.items(), key=lambda item: (-item[1].volume, names[item[0]][0]))
    return [
        {
            "channel": names[channel_id][0],
            "kind": names[channel_id][1],
            "volume": tally.volume,
            "negative_share": round(tally.negative / tally.volume, 3) if tally.volume else 0.0,
        }
        for channel_id, tally in rows
    ]


def _escalations(*, now: datetime) -> list[dict[str, Any]]:
    rows = (
        EscalationRequest.objects.filter(status__in=PENDING_STATUSES, is_drill=False)
        .values("department__name")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lte=now)))
        .order_by("-overdue", "-open", "department__name")
    )
    return [{"department": row["department__name"], "open": row["open"], "overdue": row["overdue"]} for row in rows]


def cost_of_silence(*, now: datetime | None = None) -> list[silence.SilenceRow]:
    """The "cost of silence" table: the open requests with the most new mentions since they were asked
    (`escalation.silence`), so a director sees which unanswered question costs the most."""
    return silence.open_requests_silence(limit=COST_OF_SILENCE_ROWS, now=now)


def _open_alerts() -> list[dict[str, Any]]:
    alerts = (
        Alert.objects.filter(status=AlertStatus.OPEN)
        .exclude(brand__startswith=DRILL_BRAND_PREFIX)
        .order_by("-severity", "-started_at")[:10]
    )
    return [
        {
            "id": alert.pk,
            "brand": alert.brand,
            "signal": str(alert.get_signal_display()),
            "topic": alert.topic,
            "severity": alert.severity,
            "started_at": alert.started_at.isoformat(),
        }
        for alert in alerts
    ]


def _drills_running() -> list[dict[str, Any]]:
    return [
        {"id": pk, "title": title, "ends_at": ends_at.isoformat()}
        for pk, title, ends_at in Drill.objects.filter(status=DrillStatus.RUNNING).values_list("pk", "title", "ends_at")
    ]


CSV_CHARTS = ("volume", "sentiment", "channels", "topics", "escalations")


def dashboard_csv_rows(figures: DashboardFigures, chart: str) -> list[list[Any]]:
    """One chart's data as rows for a CSV export, header first; times in ISO 8601 with their offset."""
    if chart == "volume":
        return [["start", "mentions_per_minute", "negative"]] + [
            [point["start"], point["per_minute"], point["negative"]] for point in figures.per_minute
        ]
    if chart == "sentiment":
        return [["sentiment", "share"]] + [[name, share] for name, share in figures.sentiment_share.items()]
    if chart == "channels":
        return [["channel", "kind", "volume", "negative_share"]] + [
            [row["channel"], row["kind"], row["volume"], row["negative_share"]] for row in figures.channels
        ]
    if chart == "topics":
        return [["topic", "volume", "negative"]] + [
            [row["topic"], row["volume"], row["negative"]] for row in figures.top_topics
        ]
    if chart == "escalations":
        return [["department", "open", "overdue"]] + [
            [row["department"], row["open"], row["overdue"]] for row in figures.escalations
        ]
    raise DashboardRangeInvalid(_("There is no chart called %(chart)s."), chart=chart[:40])
