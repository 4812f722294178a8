"""Reads for triage: corrected mentions as training rows, and an author's recent repeats."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count

from inbox.models import LabelCorrection, Mention
from inbox.triage.training import CATEGORIES, SENTIMENTS, TrainingRow

REPEAT_WINDOW = timedelta(hours=24)


def label_corrections_training_rows() -> list[TrainingRow]:
    """One row per corrected mention: its text with the latest corrected sentiment and category."""
    latest: dict[int, dict[str, str]] = {}
    for correction in LabelCorrection.objects.filter(field__in=("sentiment", "category")).order_by(
        "created_at", "id"
    ):
        latest.setdefault(correction.mention_id, {})[correction.field] = correction.new_value
    mentions = Mention.objects.filter(pk__in=latest).only("id", "text", "language", "sentiment", "category")
    rows = []
    for mention in mentions.order_by("id"):
        corrected = latest[mention.pk]
        sentiment = corrected.get("sentiment", mention.sentiment)
        category = corrected.get("category", mention.category)
        if sentiment in SENTIMENTS and category in CATEGORIES and mention.text.strip():
            rows.append(
                TrainingRow(text=mention.text, lang=mention.language, sentiment=sentiment, category=category)
            )
    return rows


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
