"""The dashboard's first-response figures: seconds from arrival to first reply over a range.

Up to a day they are exact, from the range's mentions; longer ranges read the first-response
histogram the reply services keep (`MentionResponseStat`) for whole hours and the mentions only at
the ragged ends. A mention still waiting counts at its current age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import quantiles
from typing import TYPE_CHECKING

from django.db import connection, connections
from django.db.models import Q, QuerySet, Sum

from crisisdesk.dbrouter import read_alias
from inbox.drills import DRILL_BRAND_PREFIX, DRILL_KIND
from inbox.models import Mention, MentionResponseStat, MentionStatus
from inbox.stats import histogram_percentile, hour_floor, response_bucket

if TYPE_CHECKING:
    from playbooks.dashboard import DashboardRange

UNANSWERED_STATUSES = (MentionStatus.NEW, MentionStatus.ASSIGNED)
# Up to a day, response times are exact from the range's mentions; longer ranges read the response histogram.
EXACT_RESPONSE_RANGE = timedelta(days=1)


@dataclass
class FirstResponse:
    """Seconds from arrival to first reply; a mention still waiting counts at its current age."""

    p50_seconds: float | None = None
    p90_seconds: float | None = None
    answered: int = 0
    waiting: int = 0


def _hour_ceil(moment: datetime) -> datetime:
    floor = hour_floor(moment)
    return floor if floor == moment else floor + timedelta(hours=1)


def _responding(window: DashboardRange) -> QuerySet[Mention]:
    """The range's mentions that were answered or are still waiting (hidden and closed ones wait no more)."""
    return (
        Mention.objects.filter(received_at__gte=window.since, received_at__lt=window.until)
        .filter(Q(first_response_at__isnull=False) | Q(status__in=UNANSWERED_STATUSES, is_hidden=False))
        .exclude(channel__kind=DRILL_KIND)
    )


def _first_response(*, window: DashboardRange, now: datetime) -> FirstResponse:
    if window.until - window.since > EXACT_RESPONSE_RANGE:
        return _first_response_histogram(window=window, now=now)
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


def _first_response_histogram(*, window: DashboardRange, now: datetime) -> FirstResponse:
    """Response times over a long range: whole hours from the response histogram the reply services keep,
    the ragged ends and the mentions still waiting read one by one into the same buckets.

    Quantiles are interpolated inside buckets 25% wide, so they are within a few percent of exact.
    """
    start, end = _hour_ceil(window.since), hour_floor(window.until)
    counts: dict[int, int] = {}
    hours = (
        MentionResponseStat.objects.filter(hour__gte=start, hour__lt=end)
        .exclude(brand__startswith=DRILL_BRAND_PREFIX)
        .values("bucket")
        .annotate(summed=Sum("answered"))
        .values_list("bucket", "summed")
        .order_by()
    )
    for bucket, answered in hours:
        counts[bucket] = counts.get(bucket, 0) + answered
    answered = sum(counts.values())
    edges = Q(received_at__gte=window.since, received_at__lt=start) | Q(
        received_at__gte=end, received_at__lt=window.until
    )
    for first, received in (
        _responding(window)
        .filter(edges, first_response_at__isnull=False)
        .values_list("first_response_at", "received_at")
    ):
        bucket = response_bucket(((first or now) - received).total_seconds())
        counts[bucket] = counts.get(bucket, 0) + 1
        answered += 1
    waiting = 0
    # The waiting ones spelled out (not `_responding`'s OR): the planner then reads the work queue's partial index.
    still_waiting = Mention.objects.filter(
        received_at__gte=window.since,
        received_at__lt=window.until,
        status__in=UNANSWERED_STATUSES,
        is_hidden=False,
        first_response_at__isnull=True,
    ).exclude(channel__kind=DRILL_KIND)
    for (received,) in still_waiting.values_list("received_at"):
        bucket = response_bucket((now - received).total_seconds())
        counts[bucket] = counts.get(bucket, 0) + 1
        waiting += 1
    p50, p90 = histogram_percentile(counts, 0.5), histogram_percentile(counts, 0.9)
    return FirstResponse(
        p50_seconds=round(p50, 1) if p50 is not None else None,
        p90_seconds=round(p90, 1) if p90 is not None else None,
        answered=answered,
        waiting=waiting,
    )


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
