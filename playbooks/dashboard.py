"""The director dashboard's figures.

Volumes, sentiment and topics come from the per-minute rollup the ingestion pipeline keeps
(`MentionMinuteStat`), never from a scan of the mentions table; the few figures that must read
mentions (unanswered count, first-response times) use indexed columns over a bounded window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from statistics import quantiles
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from escalation.models import PENDING_STATUSES, EscalationRequest
from inbox.models import Channel, Mention, MentionMinuteStat, MentionStatus
from playbooks.models import OPEN_CRISIS_STATUSES, Crisis

WINDOW = timedelta(hours=24)
UNANSWERED_STATUSES = (MentionStatus.NEW, MentionStatus.ASSIGNED)


@dataclass
class DashboardFigures:
    generated_at: str
    levels: list[dict[str, Any]] = field(default_factory=list)
    per_minute: list[dict[str, Any]] = field(default_factory=list)
    volume_24h: int = 0
    sentiment_share: dict[str, float] = field(default_factory=dict)
    top_topics: list[dict[str, Any]] = field(default_factory=list)
    first_response_p50_seconds: float | None = None
    first_response_p90_seconds: float | None = None
    unanswered: int = 0
    escalations: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def dashboard_figures(*, now: datetime | None = None, bucket_minutes: int = 15) -> DashboardFigures:
    now = now or timezone.now()
    since = now - WINDOW
    figures = DashboardFigures(generated_at=now.isoformat())
    figures.levels = _levels()
    rollup = MentionMinuteStat.objects.filter(minute__gte=since, topic="")
    figures.per_minute = _per_bucket(rollup, since=since, now=now, bucket_minutes=bucket_minutes)
    totals = rollup.aggregate(volume=Sum("volume"), negative=Sum("negative"), positive=Sum("positive"))
    volume = totals["volume"] or 0
    figures.volume_24h = volume
    if volume:
        negative, positive = totals["negative"] or 0, totals["positive"] or 0
        figures.sentiment_share = {
            "negative": round(negative / volume, 3),
            "neutral": round((volume - negative - positive) / volume, 3),
            "positive": round(positive / volume, 3),
        }
    figures.top_topics = list(
        MentionMinuteStat.objects.filter(minute__gte=since)
        .exclude(topic="")
        .values("topic")
        .annotate(volume=Sum("volume"), negative=Sum("negative"))
        .order_by("-volume")[:10]
    )
    figures.first_response_p50_seconds, figures.first_response_p90_seconds = _first_response(since=since)
    figures.unanswered = Mention.objects.filter(status__in=UNANSWERED_STATUSES, is_hidden=False).count()
    figures.escalations = _escalations(now=now)
    return figures


def _levels() -> list[dict[str, Any]]:
    brands = set(Channel.objects.values_list("brand", flat=True).distinct())
    open_levels = dict(
        Crisis.objects.filter(status__in=OPEN_CRISIS_STATUSES).values_list("brand").annotate(level=Max("level"))
    )
    return [{"brand": brand, "level": open_levels.get(brand, 0)} for brand in sorted(brands | set(open_levels))]


def _per_bucket(rollup, *, since: datetime, now: datetime, bucket_minutes: int) -> list[dict[str, Any]]:
    """Mentions per minute, averaged over buckets so 24 hours fit one chart."""
    buckets: dict[datetime, list[int]] = {}
    for minute, volume, negative in rollup.values_list("minute", "volume", "negative").order_by():
        offset = int((minute - since).total_seconds() // 60) // bucket_minutes
        start = since + timedelta(minutes=offset * bucket_minutes)
        counts = buckets.setdefault(start, [0, 0])
        counts[0] += volume
        counts[1] += negative
    points = []
    start = since
    while start < now:
        volume, negative = buckets.get(start, [0, 0])
        points.append(
            {"start": start.isoformat(), "per_minute": round(volume / bucket_minutes, 2), "negative": negative}
        )
        start += timedelta(minutes=bucket_minutes)
    return points


def _first_response(*, since: datetime) -> tuple[float | None, float | None]:
    responded = Mention.objects.filter(first_response_at__gte=since)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds), "
                "percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) FROM ("
                "  SELECT EXTRACT(EPOCH FROM first_response_at - received_at) AS seconds"
                f"  FROM {Mention._meta.db_table} WHERE first_response_at >= %s) AS responses",
                [since],
            )
            p50, p90 = cursor.fetchone()
        return (round(p50, 1) if p50 is not None else None, round(p90, 1) if p90 is not None else None)
    seconds = [
        (first - received).total_seconds()
        for first, received in responded.values_list("first_response_at", "received_at")
        if first is not None
    ]
    if not seconds:
        return None, None
    if len(seconds) == 1:
        return round(seconds[0], 1), round(seconds[0], 1)
    cuts = quantiles(seconds, n=10, method="inclusive")
    return round(cuts[4], 1), round(cuts[8], 1)


def _escalations(*, now: datetime) -> list[dict[str, Any]]:
    rows = (
        EscalationRequest.objects.filter(status__in=PENDING_STATUSES)
        .values("department__name")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lte=now)))
        .order_by("-overdue", "-open", "department__name")
    )
    return [{"department": row["department__name"], "open": row["open"], "overdue": row["overdue"]} for row in rows]
