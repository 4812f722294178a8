"""Reads for triage: corrected mentions as training rows, and an author's recent repeats."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Min, OuterRef, Q, Subquery
from django.utils import timezone

from inbox.models import LabelCorrection, Mention, TriageModelVersion, TriageRefine
from inbox.triage.training import CATEGORIES, SENTIMENTS, TrainingRow

REPEAT_WINDOW = timedelta(hours=24)
SHED_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class TriageBacklog:
    """The model tier's refine queue: what waits, since when, what is being refined, what was shed lately."""

    pending: int
    in_progress: int
    oldest_wait_seconds: float | None
    shed_last_hour: int
    bound: int
    shed_below: int
    pending_by_channel: dict[int, int] = field(default_factory=dict)

    @property
    def over_bound(self) -> bool:
        return self.pending > self.bound

    def as_dict(self) -> dict:
        return {
            "pending": self.pending,
            "in_progress": self.in_progress,
            "oldest_wait_seconds": self.oldest_wait_seconds,
            "shed_last_hour": self.shed_last_hour,
            "bound": self.bound,
            "shed_below_priority": self.shed_below,
            "over_bound": self.over_bound,
            "pending_by_channel": {str(key): value for key, value in self.pending_by_channel.items()},
        }


def triage_backlog(*, now: datetime | None = None) -> TriageBacklog:
    """Three reads over the queue's partial indexes; the queue is kept bounded, so they stay small."""
    now = now or timezone.now()
    pending = Mention.objects.filter(triage_refine=TriageRefine.PENDING)
    by_channel = dict(pending.values_list("channel_id").annotate(total=Count("id")).order_by("channel_id"))
    summary = pending.aggregate(oldest=Min("received_at"))
    in_progress = pending.filter(triage_refine_claimed_until__gt=now).count()
    shed = Mention.objects.filter(triage_refine=TriageRefine.SHED, received_at__gte=now - SHED_WINDOW).count()
    oldest = summary["oldest"]
    return TriageBacklog(
        pending=sum(by_channel.values()),
        in_progress=in_progress,
        oldest_wait_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else None,
        shed_last_hour=shed,
        bound=settings.TRIAGE_REFINE_BACKLOG_MAX,
        shed_below=settings.TRIAGE_REFINE_SHED_BELOW,
        pending_by_channel=by_channel,
    )


@dataclass(frozen=True)
class CorrectedRow:
    mention_id: int
    row: TrainingRow


def label_corrections_rows(*, brand: str | None = None, limit: int | None = None) -> list[CorrectedRow]:
    """One row per corrected mention (of `brand`'s channels, when given; the most recent `limit`):
    its text with the latest corrected sentiment and category, the other one as the mention has it."""
    corrections = LabelCorrection.objects.filter(field__in=("sentiment", "category"))
    if brand is not None:
        corrections = corrections.filter(mention__channel__brand=brand)
    latest: dict[int, dict[str, str]] = {}
    for mention_id, label, value in corrections.order_by("created_at", "id").values_list(
        "mention_id", "field", "new_value"
    ):
        latest.setdefault(mention_id, {})[label] = value
    mentions = Mention.objects.filter(pk__in=latest).only("id", "text", "language", "sentiment", "category")
    rows = []
    for mention in mentions.order_by("-id")[:limit]:
        corrected = latest[mention.pk]
        sentiment = corrected.get("sentiment", mention.sentiment)
        category = corrected.get("category", mention.category)
        if sentiment in SENTIMENTS and category in CATEGORIES and mention.text.strip():
            row = TrainingRow(text=mention.text, lang=mention.language, sentiment=sentiment, category=category)
            rows.append(CorrectedRow(mention_id=mention.pk, row=row))
    return rows[::-1]


def label_corrections_training_rows() -> list[TrainingRow]:
    """Every corrected mention as a training row (exported by `manage.py triage_train`)."""
    return [corrected.row for corrected in label_corrections_rows()]


def label_corrections_brands_since_last_version() -> list[str]:
    """Brands with a sentiment or category correction newer than their latest trained model version."""
    latest_version = (
        TriageModelVersion.objects.filter(brand=OuterRef("mention__channel__brand"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return sorted(
        set(
            LabelCorrection.objects.filter(field__in=("sentiment", "category"))
            .annotate(latest_version=Subquery(latest_version))
            .filter(Q(latest_version__isnull=True) | Q(created_at__gt=F("latest_version")))
            .values_list("mention__channel__brand", flat=True)
        )
    )


def mentions_recent_repeats(*, mentions: list[Mention]) -> dict[int, int]:
    """For each mention, how many other mentions its author sent with the same text in the last day."""
    if not mentions:
        return {}
    since = min(mention.received_at for mention in mentions) - REPEAT_WINDOW
    counts = {
        (row["author_id"], row["text"]): row["total"]
        for row in Mention.objects.filter(
            author_id__in={mention.author_id for mention in mentions},
            text__in={mention.text for mention in mentions},
            received_at__gte=since,
        )
        .values("author_id", "text")
        .annotate(total=Count("id"))
    }
    return {mention.pk: max(0, counts.get((mention.author_id, mention.text), 1) - 1) for mention in mentions}
