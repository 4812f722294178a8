"""Reads for crises, alerts and playbooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from statistics import median
from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from escalation.models import Department
from inbox.models import Category, Channel, Mention, MentionCluster, ScheduledPost, ScheduledPostStatus, Sentiment
from playbooks.content import content_clean, content_diff
from playbooks.models import (
    ACTIVE_CRISIS_STATUSES,
    OPEN_CRISIS_STATUSES,
    Alert,
    ChecklistItem,
    Crisis,
    CrisisEvent,
    CrisisNotification,
    CrisisNotificationState,
    CrisisStatus,
    Playbook,
    PlaybookRevision,
    PlaybookVersion,
    Statement,
)


def crisis_banner() -> Crisis | None:
    """The most severe declared crisis, shown as a banner on every page."""
    return (
        Crisis.objects.filter(status=CrisisStatus.DECLARED)
        .only("id", "title", "level", "crisis_type", "status")
        .order_by("-level", "-declared_at")
        .first()
    )


def open_crisis_exists(*, brand: str) -> bool:
    return Crisis.objects.filter(brand=brand, status__in=OPEN_CRISIS_STATUSES).exists()


def crisis_list() -> QuerySet[Crisis]:
    return (
        Crisis.objects.select_related("owner")
        .annotate(
            steps_total=Count("checklist", distinct=True),
            steps_done=Count("checklist", filter=Q(checklist__done_at__isnull=False), distinct=True),
        )
        .order_by("-detected_at", "-id")
    )


def crisis_detail(*, crisis_id: int) -> Crisis | None:
    return (
        Crisis.objects.select_related("owner", "declared_by", "playbook_version__playbook")
        .prefetch_related(
            Prefetch(
                "checklist",
                queryset=ChecklistItem.objects.select_related("done_by", "assignee").order_by("position"),
            )
        )
        .filter(pk=crisis_id)
        .first()
    )


def crisis_timeline(*, crisis_id: int) -> list[CrisisEvent]:
    return list(
        CrisisEvent.objects.filter(crisis_id=crisis_id).select_related("actor").order_by("created_at", "id")
    )


def crisis_mentions(*, crisis: Crisis, limit: int = 50) -> list:
    return list(crisis.mentions.select_related("author", "channel").order_by("-received_at")[:limit])


def crisis_statements(*, crisis_id: int) -> list[Statement]:
    return list(
        Statement.objects.filter(crisis_id=crisis_id)
        .select_related("author")
        .prefetch_related("approvers", "decisions__approver", "posts__channel")
        .order_by("-created_at")
    )


def statements_awaiting(*, user) -> list[Statement]:
    return list(
        Statement.objects.filter(status="pending", approvers=user)
        .exclude(decisions__approver=user)
        .exclude(author=user)
        .select_related("crisis", "author")
        .order_by("created_at")
    )


def alert_list(*, status: str | None = None) -> QuerySet[Alert]:
    queryset = Alert.objects.select_related("crisis").order_by("-started_at", "-id")
    if status:
        queryset = queryset.filter(status=status)
    return queryset


# An alert fires on minute counters that already lag its first mentions: look a little further back.
ALERT_MENTION_LOOKBACK = timedelta(minutes=15)
ALERT_MENTION_LIMIT = 20_000


def _alert_mentions(alert: Alert) -> QuerySet[Mention]:
    """The brand's negative mentions and complaints since the alert's spike began: what the crisis is about."""
    return Mention.objects.filter(
        Q(sentiment=Sentiment.NEGATIVE) | Q(category=Category.COMPLAINT),
        channel__brand=alert.brand,
        received_at__gte=alert.started_at - ALERT_MENTION_LOOKBACK,
    )


def alert_mention_ids(*, alert: Alert, limit: int = ALERT_MENTION_LIMIT) -> list[int]:
    """The mentions a crisis declared from this alert links: its samples, then the rest, most urgent first."""
    samples = [int(sample["id"]) for sample in alert.explanation.get("sample_mentions", []) if "id" in sample]
    rest = _alert_mentions(alert).order_by("-priority", "-id").values_list("pk", flat=True)[:limit]
    return list(dict.fromkeys([*samples, *rest]))[:limit]


def cluster_mention_ids(*, cluster: MentionCluster, limit: int = ALERT_MENTION_LIMIT) -> list[int]:
    """The mentions of a crisis cluster, most urgent first: what a crisis declared from it links."""
    return list(cluster.mentions.order_by("-priority", "-id").values_list("pk", flat=True)[:limit])


def alert_mention_count(*, alert: Alert) -> int:
    """How many mentions declaring from this alert would link, for the confirmation."""
    return min(_alert_mentions(alert).count(), ALERT_MENTION_LIMIT)


def brand_default() -> str:
    """The brand a crisis declared without one belongs to: the first enabled channel's."""
    return (
        Channel.objects.filter(is_enabled=True).order_by("pk").values_list("brand", flat=True).first()
        or "default"
    )


@dataclass(frozen=True)
class DeclarationPreview:
    """What declaring will do, shown for confirmation before anything is written."""

    brand: str
    playbook_version: PlaybookVersion | None
    content: dict[str, Any]
    mentions_to_link: int
    open_same: Crisis | None
    posts_to_freeze: int
    departments: list[str] = field(default_factory=list)


def declaration_preview(
    *,
    crisis_type: str,
    level: int,
    alert: Alert | None,
    link_alert_mentions: bool,
    cluster: MentionCluster | None = None,
) -> DeclarationPreview:
    brand = alert.brand if alert is not None else cluster.brand if cluster is not None else brand_default()
    to_link = alert_mention_count(alert=alert) if alert is not None and link_alert_mentions else 0
    if cluster is not None:
        to_link += min(cluster.mention_count, ALERT_MENTION_LIMIT)
    version = playbook_version_current(crisis_type=crisis_type, level=level)
    content = content_clean(version.content if version else {})
    return DeclarationPreview(
        brand=brand,
        playbook_version=version,
        content=content,
        mentions_to_link=to_link,
        open_same=Crisis.objects.filter(brand=brand, crisis_type=crisis_type, status__in=ACTIVE_CRISIS_STATUSES)
        .order_by("-declared_at")
        .first(),
        posts_to_freeze=ScheduledPost.objects.filter(status=ScheduledPostStatus.SCHEDULED).count(),
        departments=department_names(content["departments"]),
    )


def department_names(slugs: list[str]) -> list[str]:
    """The departments a playbook names, as people call them (a slug nobody defined stays as written)."""
    names = dict(Department.objects.filter(slug__in=slugs).values_list("slug", "name"))
    return [names.get(slug, slug) for slug in slugs]


def playbook_version_current(*, crisis_type: str, level: int) -> PlaybookVersion | None:
    """The newest version of the playbook for this type and level: what a declaration now would run."""
    return (
        PlaybookVersion.objects.filter(playbook__crisis_type=crisis_type, playbook__level=level)
        .select_related("playbook")
        .order_by("-number")
        .first()
    )


def playbook_list() -> QuerySet[Playbook]:
    return Playbook.objects.annotate(latest_number=Max("versions__number")).order_by("crisis_type", "level")


def playbook_latest(playbook: Playbook) -> PlaybookVersion | None:
    return playbook.versions.order_by("-number").first()


def playbook_history(*, playbook: Playbook) -> list[dict[str, Any]]:
    """Every version with the diff from the one before it (plain lines; templates escape them)."""
    versions = list(playbook.versions.select_related("created_by").order_by("number"))
    history = []
    previous = None
    for version in versions:
        diff: list[str] = (
            content_diff(
                previous.content,
                version.content,
                old_label=f"v{previous.number}",
                new_label=f"v{version.number}",
            )
            if previous
            else []
        )
        history.append({"version": version, "diff": diff})
        previous = version
    history.reverse()
    return history


def revisions_proposed(*, playbook: Playbook | None = None) -> QuerySet[PlaybookRevision]:
    queryset = PlaybookRevision.objects.filter(status="proposed").select_related(
        "crisis", "proposed_by", "playbook"
    )
    if playbook is not None:
        queryset = queryset.filter(playbook=playbook)
    return queryset


def crisis_review(*, crisis: Crisis) -> dict[str, Any]:
    """Response times for the review page: declaration, checklist steps and first replies."""
    steps = list(crisis.checklist.order_by("position"))
    start = crisis.declared_at or crisis.detected_at
    step_rows = []
    for step in steps:
        late = None
        if step.due_at:
            reference = step.done_at
            late = bool(reference and reference > step.due_at) or (reference is None)
        step_rows.append(
            {
                "item": step,
                "minutes_to_done": round((step.done_at - start).total_seconds() / 60, 1)
                if step.done_at
                else None,
                "late": late,
            }
        )
    first_alert = crisis.alerts.order_by("started_at").first()
    reply_delays = [
        (mention.first_response_at - mention.received_at).total_seconds() / 60
        for mention in crisis.mentions.exclude(first_response_at__isnull=True).only(
            "first_response_at", "received_at"
        )
        if mention.first_response_at is not None
    ]
    content = content_clean(crisis.playbook_content)
    return {
        "steps": step_rows,
        "steps_done": sum(1 for step in steps if step.done_at),
        "steps_late": sum(1 for row in step_rows if row["late"]),
        "alert_to_declaration_minutes": (
            round((crisis.declared_at - first_alert.started_at).total_seconds() / 60, 1)
            if first_alert and crisis.declared_at
            else None
        ),
        "declaration_to_resolution_minutes": (
            round((crisis.resolved_at - crisis.declared_at).total_seconds() / 60, 1)
            if crisis.resolved_at and crisis.declared_at
            else None
        ),
        "median_first_reply_minutes": round(median(reply_delays), 1) if reply_delays else None,
        "replied_mentions": len(reply_delays),
        "linked_mentions": crisis.mentions.count(),
        "content": content,
        "revisions": list(
            crisis.revisions.select_related("proposed_by", "resulting_version").order_by("created_at")
        ),
    }


def crisis_notifications_failed_count(*, crisis_id: int | None = None) -> int:
    """E-mails that could not be sent (still retrying or given up): the room's "failed deliveries"."""
    failed = CrisisNotification.objects.filter(state=CrisisNotificationState.FAILED)
    return (failed.filter(crisis_id=crisis_id) if crisis_id is not None else failed).count()
