"""The post-crisis report: one crisis's figures, assembled for the page, the PDF and the weekly digest.

Reads only. Response times are counted over every mention linked to the crisis, answered or not: a
mention never answered counts as never answered (longer than any answer), so the median over all of
them is "not reached" when more than half were never answered, and the report always says how many
were. The median over the answered ones is shown beside it, named as such, with its count — the
dashboard once showed a p50 of four replies while 25,000 mentions waited.

Volume and sentiment come from the brand's minute rollups (`MentionMinuteStat`) over the crisis window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import CharField, Count, F, Min, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from crisisdesk.models import AuditEvent, User
from escalation.responsiveness import Responsiveness, department_responsiveness, percentile
from inbox.cluster_models import MentionCluster
from inbox.cluster_selectors import sentiment_shares
from inbox.models import Mention, MentionMinuteStat, MentionStatus
from playbooks.models import Crisis, CrisisEvent, CrisisEventKind, CrisisStatus, PlaybookRevision, Statement
from playbooks.selectors import crisis_detail, crisis_statements, crisis_timeline

# The chart shows a little of the calm before the crisis, so its rise is visible.
LEAD_IN = timedelta(minutes=30)
BUCKET_STEPS = (1, 5, 15, 30, 60, 120, 360, 720, 1440)
MAX_POINTS = 96
TOP_CLUSTERS = 5
DECISION_KINDS = (CrisisEventKind.DECLARED, CrisisEventKind.LEVEL, CrisisEventKind.STATUS)
MENTION_AUDIT_TYPE = "inbox.mention"


@dataclass(frozen=True)
class Delays:
    """Seconds from a mention's arrival to an outcome (its first reply, or its closing), over all mentions.

    `all_p50_seconds` / `all_p90_seconds` count the mentions without the outcome as never reaching it:
    None then means "not reached" when `total` is not zero. `done_*` are over the `done` mentions only.
    """

    total: int
    done: int
    done_p50_seconds: float | None
    done_p90_seconds: float | None
    all_p50_seconds: float | None
    all_p90_seconds: float | None

    @property
    def missing(self) -> int:
        return self.total - self.done

    @property
    def missing_share(self) -> float | None:
        return self.missing / self.total if self.total else None


def delays_over_all(seconds: list[float], *, total: int) -> Delays:
    """The figures of `seconds` (the mentions that reached the outcome) among `total` mentions (pure)."""
    ordered = sorted(seconds)

    def over_all(fraction: float) -> float | None:
        # The missing ones sort after every real delay; a rank that touches them is not reached.
        rank = fraction * (total - 1)
        if total == 0 or math.ceil(rank) >= len(ordered):
            return None
        low, high = math.floor(rank), math.ceil(rank)
        return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)

    return Delays(
        total=total,
        done=len(ordered),
        done_p50_seconds=percentile(ordered, 0.5),
        done_p90_seconds=percentile(ordered, 0.9),
        all_p50_seconds=over_all(0.5),
        all_p90_seconds=over_all(0.9),
    )


@dataclass(frozen=True)
class ChartPoint:
    start: datetime
    volume: int
    negative: int
    positive: int

    @property
    def neutral(self) -> int:
        return max(0, self.volume - self.negative - self.positive)


@dataclass(frozen=True)
class ChartMarker:
    """A moment drawn on the volume chart: declared, contained, resolved."""

    at: datetime
    label: str


@dataclass(frozen=True)
class ClusterRow:
    cluster: MentionCluster
    shares: dict[str, int]


@dataclass
class CrisisReport:
    crisis: Crisis
    since: datetime
    until: datetime
    bucket_minutes: int
    generated_at: datetime
    points: list[ChartPoint] = field(default_factory=list)
    markers: list[ChartMarker] = field(default_factory=list)
    volume: int = 0
    sentiment_share: dict[str, float] = field(default_factory=dict)
    clusters: list[ClusterRow] = field(default_factory=list)
    first_response: Delays = field(default_factory=lambda: delays_over_all([], total=0))
    resolution: Delays = field(default_factory=lambda: delays_over_all([], total=0))
    unanswered_hidden: int = 0
    responsiveness: list[Responsiveness] = field(default_factory=list)
    timeline: list[CrisisEvent] = field(default_factory=list)
    decisions: list[CrisisEvent] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    revisions: list[PlaybookRevision] = field(default_factory=list)

    @property
    def duration_seconds(self) -> float:
        start = self.crisis.declared_at or self.crisis.detected_at
        return max(0.0, ((self.crisis.resolved_at or self.generated_at) - start).total_seconds())

    @property
    def negative_share(self) -> float | None:
        return self.sentiment_share.get("negative")

    @property
    def overdue_escalations(self) -> int:
        return sum(row.overdue_unanswered for row in self.responsiveness)


def crisis_window(crisis: Crisis, *, now: datetime) -> tuple[datetime, datetime]:
    """From a little before the first alert or the detection, to the resolution (or now)."""
    first_alert = crisis.alerts.order_by("started_at").values_list("started_at", flat=True).first()
    start = min(moment for moment in (crisis.detected_at, crisis.declared_at, first_alert) if moment)
    until = crisis.resolved_at or now
    return (start - LEAD_IN).replace(second=0, microsecond=0), max(until, start + timedelta(minutes=1))


def bucket_minutes_for(since: datetime, until: datetime) -> int:
    minutes = (until - since).total_seconds() / 60
    return next((step for step in BUCKET_STEPS if minutes / step <= MAX_POINTS), BUCKET_STEPS[-1])


def _chart(crisis: Crisis, *, since: datetime, until: datetime, size: int) -> list[ChartPoint]:
    """The brand's mentions per bucket (topic "" counts everything once), every bucket present."""
    rows = (
        MentionMinuteStat.objects.filter(brand=crisis.brand, topic="", minute__gte=since, minute__lt=until)
        .values_list("minute", "volume", "negative", "positive")
        .order_by()
    )
    buckets: dict[int, list[int]] = {}
    for minute, volume, negative, positive in rows:
        counts = buckets.setdefault(int((minute - since).total_seconds() // 60) // size, [0, 0, 0])
        counts[0] += volume
        counts[1] += negative
        counts[2] += positive
    total = max(1, math.ceil((until - since).total_seconds() / 60 / size))
    return [
        ChartPoint(since + timedelta(minutes=index * size), *buckets.get(index, [0, 0, 0])) for index in range(total)
    ]


def _markers(crisis: Crisis) -> list[ChartMarker]:
    moments = (
        (crisis.declared_at, CrisisStatus.DECLARED.label),
        (crisis.contained_at, CrisisStatus.CONTAINED.label),
        (crisis.resolved_at, CrisisStatus.RESOLVED.label),
    )
    return [ChartMarker(at=moment, label=str(label)) for moment, label in moments if moment]


def _sentiment_share(points: list[ChartPoint]) -> tuple[int, dict[str, float]]:
    volume = sum(point.volume for point in points)
    if not volume:
        return 0, {}
    negative, positive = sum(point.negative for point in points), sum(point.positive for point in points)
    return volume, {
        "negative": round(negative / volume, 3),
        "neutral": round((volume - negative - positive) / volume, 3),
        "positive": round(positive / volume, 3),
    }


def _crisis_mentions(crisis: Crisis) -> QuerySet[Mention]:
    return Mention.objects.filter(crises=crisis)


def first_response_delays(crisis: Crisis) -> tuple[Delays, int]:
    """First replies over every linked mention; and how many of the unanswered were hidden."""
    mentions = _crisis_mentions(crisis)
    counts = mentions.aggregate(
        total=Count("pk"), hidden=Count("pk", filter=Q(first_response_at__isnull=True, is_hidden=True))
    )
    answered = mentions.filter(first_response_at__isnull=False).annotate(
        delay=F("first_response_at") - F("received_at")
    )
    seconds = [delay.total_seconds() for delay in answered.values_list("delay", flat=True)]
    return delays_over_all(seconds, total=counts["total"] or 0), counts["hidden"] or 0


def resolution_delays(crisis: Crisis) -> Delays:
    """Closing times over every linked mention: a mention counts as resolved when it is closed now, at
    its first "mention.close" in the audit trail; every other mention is unresolved."""
    mentions = _crisis_mentions(crisis)
    closed_now = mentions.filter(status=MentionStatus.CLOSED)
    closed = dict(closed_now.values_list("pk", "received_at"))
    keys = closed_now.annotate(key=Cast("pk", output_field=CharField())).values("key")
    closings = (
        AuditEvent.objects.filter(verb="mention.close", target_type=MENTION_AUDIT_TYPE, target_id__in=keys)
        .values("target_id")
        .annotate(first=Min("created_at"))
        .order_by()
    )
    seconds = [
        max(0.0, (row["first"] - closed[int(row["target_id"])]).total_seconds())
        for row in closings
        if int(row["target_id"]) in closed
    ]
    return delays_over_all(seconds, total=mentions.count())


def _clusters(crisis: Crisis, *, since: datetime, until: datetime) -> list[ClusterRow]:
    """The brand's biggest clusters seen during the crisis window."""
    clusters = (
        MentionCluster.objects.filter(brand=crisis.brand, first_seen_at__lt=until, last_seen_at__gte=since)
        .select_related("channel")
        .order_by("-mention_count", "-last_seen_at", "-pk")[:TOP_CLUSTERS]
    )
    return [ClusterRow(cluster=cluster, shares=sentiment_shares(cluster)) for cluster in clusters]


def crisis_report(*, crisis_id: int, user: User, now: datetime | None = None) -> CrisisReport | None:
    """Everything the report shows for one crisis, as `user` may see it (departments by their visibility);
    None for an unknown crisis. Texts render in the active language when the template reads them."""
    crisis = crisis_detail(crisis_id=crisis_id)
    if crisis is None:
        return None
    now = now or timezone.now()
    since, until = crisis_window(crisis, now=now)
    size = bucket_minutes_for(since, until)
    report = CrisisReport(crisis=crisis, since=since, until=until, bucket_minutes=size, generated_at=now)
    report.points = _chart(crisis, since=since, until=until, size=size)
    report.markers = _markers(crisis)
    report.volume, report.sentiment_share = _sentiment_share(report.points)
    report.clusters = _clusters(crisis, since=since, until=until)
    report.first_response, report.unanswered_hidden = first_response_delays(crisis)
    report.resolution = resolution_delays(crisis)
    report.responsiveness = department_responsiveness(user=user, days=None, crisis_id=crisis.pk, now=now)
    report.timeline = crisis_timeline(crisis_id=crisis.pk)
    report.decisions = [item for item in report.timeline if item.kind in DECISION_KINDS]
    report.statements = crisis_statements(crisis_id=crisis.pk)
    report.revisions = list(
        crisis.revisions.select_related("proposed_by", "decided_by", "resulting_version").order_by("created_at")
    )
    return report
