"""The director dashboard's figures, over a time range the director chooses.

Volumes, sentiment, topics and channels come from the per-minute rollup the ingestion pipeline keeps
(`MentionMinuteStat`), never from a scan of the mentions table. Response times read mentions over
the range: the ones still waiting count at their current age, so a flood nobody has answered yet
shows as slow, not as the few quick replies given so far. A drill's mentions, alerts, crises and
requests (`inbox.drills`) count in none of the figures; the drills running are named apart.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from statistics import quantiles
from typing import Any

from django.db import connection, connections
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from crisisdesk.dbrouter import read_alias, replica_tolerant
from escalation import silence
from escalation.models import PENDING_STATUSES, EscalationRequest
from inbox.drills import DRILL_BRAND_PREFIX, DRILL_KIND
from inbox.models import Channel, Mention, MentionMinuteStat, MentionStatus
from playbooks.errors import TranslatableError
from playbooks.models import OPEN_CRISIS_STATUSES, Alert, AlertStatus, Crisis, Drill, DrillStatus

UNANSWERED_STATUSES = (MentionStatus.NEW, MentionStatus.ASSIGNED)
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
class FirstResponse:
    """Seconds from arrival to first reply; a mention still waiting counts at its current age."""

    p50_seconds: float | None = None
    p90_seconds: float | None = None
    answered: int = 0
    waiting: int = 0


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
    rollup = MentionMinuteStat.objects.filter(minute__gte=window.since, minute__lt=window.until).exclude(
        brand__startswith=DRILL_BRAND_PREFIX
    )
    everything = rollup.filter(topic="")
    figures.per_minute = _per_bucket(everything, window=window)
    figures.volume, figures.sentiment_share = _volume_and_sentiment(everything)
    figures.top_topics = list(
        rollup.exclude(topic="")
        .values("topic")
        .annotate(volume=Sum("volume"), negative=Sum("negative"))
        .order_by("-volume")[:10]
    )
    figures.channels = _channels(everything)
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


def _volume_and_sentiment(rollup: QuerySet[MentionMinuteStat]) -> tuple[int, dict[str, float]]:
    totals = rollup.aggregate(volume=Sum("volume"), negative=Sum("negative"), positive=Sum("positive"))
    volume = totals["volume"] or 0
    if not volume:
        return 0, {}
    negative, positive = totals["negative"] or 0, totals["positive"] or 0
    return volume, {
        "negative": round(negative / volume, 3),
        "neutral": round((volume - negative - positive) / volume, 3),
        "positive": round(positive / volume, 3),
    }


def _per_bucket(rollup: QuerySet[MentionMinuteStat], *, window: DashboardRange) -> list[dict[str, Any]]:
    """Mentions per minute, averaged over buckets so the whole range fits one chart."""
    size = window.bucket_minutes
    origin = window.since.replace(second=0, microsecond=0)
    buckets: dict[int, list[int]] = {}
    for minute, volume, negative in rollup.values_list("minute", "volume", "negative").order_by():
        index = int((minute - origin).total_seconds() // 60) // size
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


def _channels(rollup: QuerySet[MentionMinuteStat]) -> list[dict[str, Any]]:
    rows = (
        rollup.values("channel_id", "channel__name", "channel__kind")
        .annotate(volume=Sum("volume"), negative=Sum("negative"))
        .order_by("-volume", "channel__name")
    )
    return [
        {
            "channel": row["channel__name"],
            "kind": row["channel__kind"],
            "volume": row["volume"],
            "negative_share": round((row["negative"] or 0) / row["volume"], 3) if row["volume"] else 0.0,
        }
        for row in rows
    ]


def _responding(window: DashboardRange) -> QuerySet[Mention]:
    """The range's mentions that were answered or are still waiting (hidden and closed ones wait no more)."""
    return (
        Mention.objects.filter(received_at__gte=window.since, received_at__lt=window.until)
        .filter(Q(first_response_at__isnull=False) | Q(status__in=UNANSWERED_STATUSES, is_hidden=False))
        .exclude(channel__kind=DRILL_KIND)
    )


def _first_response(*, window: DashboardRange, now: datetime) -> FirstResponse:
    if connection.vendor == "postgresql":
        return _first_response_sql(window=window, now=now)
    seconds, answered = [], 0
    for first, received in _responding(window).values_list("first_response_at", "received_at"):
        answered += first is not None
        seconds.append(((first or now) - received).total_seconds())
    result = FirstResponse(answered=answered, waiting=len(seconds) - answered)
    if len(seconds) == 1:
        result.p50_seconds = result.p90_seconds = round(seconds[0], 1)
    elif seconds:
        cuts = quantiles(seconds, n=10, method="inclusive")
        result.p50_seconds, result.p90_seconds = round(cuts[4], 1), round(cuts[8], 1)
    return result


def _first_response_sql(*, window: DashboardRange, now: datetime) -> FirstResponse:
    inner, params = _responding(window).values("received_at", "first_response_at").query.sql_with_params()
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds), "
            "percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds), "
            "count(*) FILTER (WHERE answered), count(*) FILTER (WHERE NOT answered) FROM ("
            "  SELECT EXTRACT(EPOCH FROM COALESCE(r.first_response_at, %s) - r.received_at) AS seconds,"
            "         r.first_response_at IS NOT NULL AS answered"
            f"  FROM ({inner}) AS r) AS responses",
            [now, *params],
        )
        p50, p90, answered, waiting = cursor.fetchone()
    return FirstResponse(
        p50_seconds=round(p50, 1) if p50 is not None else None,
        p90_seconds=round(p90, 1) if p90 is not None else None,
        answered=answered,
        waiting=waiting,
    )


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
