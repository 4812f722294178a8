"""Reads for crisis clusters: the list by size, one cluster's trend and mentions, an action's progress."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMinute
from django.utils import timezone

from inbox.cluster_models import ClusterAction, ClusterReply, ClusterReplyState, ClusterStatus, MentionCluster
from inbox.models import Mention, ReplyState

TREND_MINUTES = 30
MIN_CLUSTER_SIZE = 2


def clusters_list(
    *, brand: str = "", status: str = "", min_size: int = MIN_CLUSTER_SIZE, limit: int = 50
) -> QuerySet[MentionCluster]:
    """Clusters of at least `min_size` mentions, biggest first (closed ones only when asked for)."""
    queryset = MentionCluster.objects.filter(mention_count__gte=min_size).select_related("channel")
    if brand:
        queryset = queryset.filter(brand=brand)
    queryset = queryset.filter(status=status) if status else queryset.exclude(status=ClusterStatus.CLOSED)
    return queryset.order_by("-mention_count", "-last_seen_at", "-pk")[:limit]


def cluster_detail(*, cluster_id: int) -> MentionCluster | None:
    return MentionCluster.objects.select_related("channel", "sample_mention__author").filter(pk=cluster_id).first()


def clusters_trends(
    *, cluster_ids: list[int], now: datetime | None = None, minutes: int = TREND_MINUTES
) -> dict[int, list[int]]:
    """Mentions per minute over the last `minutes` minutes, oldest first, of each cluster: one query."""
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    start = now - timedelta(minutes=minutes - 1)
    trends: dict[int, list[int]] = {cluster_id: [0] * minutes for cluster_id in cluster_ids}
    if not cluster_ids:
        return trends
    rows = (
        Mention.objects.filter(cluster_id__in=cluster_ids, received_at__gte=start)
        .annotate(minute=TruncMinute("received_at"))
        .values("cluster_id", "minute")
        .annotate(count=Count("pk"))
    )
    for row in rows:
        index = int((row["minute"] - start).total_seconds() // 60)
        if 0 <= index < minutes:
            trends[row["cluster_id"]][index] += row["count"]
    return trends


def cluster_trend(*, cluster_id: int, now: datetime | None = None, minutes: int = TREND_MINUTES) -> list[int]:
    return clusters_trends(cluster_ids=[cluster_id], now=now, minutes=minutes)[cluster_id]


def cluster_mentions(*, cluster_id: int, limit: int = 200) -> QuerySet[Mention]:
    """The cluster's mentions, newest first, with their authors and channel."""
    return (
        Mention.objects.filter(cluster_id=cluster_id)
        .select_related("author", "channel", "assignee")
        .order_by("-received_at", "-pk")[:limit]
    )


def cluster_actions(*, cluster_id: int, limit: int = 20) -> QuerySet[ClusterAction]:
    return ClusterAction.objects.filter(cluster_id=cluster_id).select_related("actor").order_by("-created_at")[:limit]


def cluster_action_progress(*, action_id: int) -> dict[str, Any] | None:
    """Live progress of a cluster action, read from the replies themselves (one query for an answer)."""
    action = ClusterAction.objects.filter(pk=action_id).first()
    if action is None:
        return None
    if action.kind != "answer":
        done, failed = action.sent, action.failed
    else:
        counts = ClusterReply.objects.filter(action_id=action_id).aggregate(
            sent=Count("pk", filter=Q(state=ClusterReplyState.SENT) | Q(reply__state=ReplyState.SENT)),
            failed=Count("pk", filter=Q(state=ClusterReplyState.FAILED) | Q(reply__state=ReplyState.FAILED)),
        )
        done, failed = counts["sent"], counts["failed"]
    total = action.total
    return {
        "action": action,
        "id": action.pk,
        "kind": action.kind,
        "total": total,
        "sent": done,
        "failed": failed,
        "pending": max(0, total - done - failed),
        "percent": 100 if total == 0 else round(100 * (done + failed) / total),
        "finished": total == done + failed,
    }


def cluster_action_results(*, action_id: int) -> list[dict[str, Any]]:
    """The result per mention of an answer: who, when scheduled, the reply's state and any error."""
    rows = (
        ClusterReply.objects.filter(action_id=action_id)
        .select_related("author", "reply")
        .order_by("scheduled_at", "pk")
    )
    results: list[dict[str, Any]] = []
    for row in rows:
        state = row.reply.state if row.reply is not None and row.state == ClusterReplyState.QUEUED else row.state
        results.append(
            {
                "mention_id": row.mention_id,
                "author": f"@{row.author.handle or row.author.external_id}",
                "scheduled_at": row.scheduled_at,
                "state": state,
                "error": row.error or (row.reply.error if row.reply is not None else ""),
            }
        )
    return results


def sentiment_shares(cluster: MentionCluster) -> dict[str, int]:
    """Percentages of negative, neutral and positive mentions (rounded; they may not add up to 100)."""
    total = cluster.negative + cluster.neutral + cluster.positive
    counts = defaultdict(int, cluster.sentiment_mix)
    return {key: (round(100 * counts[key] / total) if total else 0) for key in ("negative", "neutral", "positive")}


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(counts: list[int]) -> str:
    """Counts as a line of block characters (no inline style, which the content security policy forbids)."""
    peak = max(counts, default=0)
    if peak == 0:
        return SPARK[0] * len(counts)
    return "".join(SPARK[min(len(SPARK) - 1, (count * (len(SPARK) - 1) + peak - 1) // peak)] for count in counts)
