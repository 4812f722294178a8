"""Mention retention: old mentions move to compressed archive files, never silently dropped.

Off unless `MENTION_RETENTION_MONTHS` is set. A batch of the oldest mentions past the retention is
locked, written with its replies and label corrections to a gzip JSON-lines file in
`MENTION_ARCHIVE_DIR`, flushed to disk, read back and checked (every id, once), and only then
deleted, in the same transaction as the lock: a reply cannot be added to a mention being archived.
A run that fails after writing leaves the rows in place and a file that a later run writes again.

A mention still part of a record someone may open stays: one in a crisis, a case, an escalation
request, a cluster's answer or a helpdesk hand-off, or with a reply that went through approval.
The per-minute rollups stay too, so the dashboard's volumes over archived months do not change.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.utils import timezone

from inbox.cluster_models import ClusterReply
from inbox.models import LabelCorrection, Mention, Reply
from inbox.models_cases import CaseDelivery

logger = logging.getLogger(__name__)
ARCHIVE_BATCH = 5000
ARCHIVE_SKIPPED_FIELDS = frozenset({"search_vector"})


class ArchiveVerificationFailed(RuntimeError):
    """The archive file read back does not hold exactly the batch: nothing was deleted."""


@dataclass
class ArchiveReport:
    archived: int = 0
    files: list[str] = field(default_factory=list)
    before: datetime | None = None


def retention_cutoff(*, months: int, now: datetime | None = None) -> datetime:
    """Mentions received before this are past a retention of `months` months (30 days each)."""
    return (now or timezone.now()) - timedelta(days=30 * months)


def mentions_archivable(*, before: datetime) -> QuerySet[Mention]:
    """Mentions received before `before` that no open-able record still points at."""
    return Mention.objects.filter(received_at__lt=before).exclude(
        Exists(Mention.crises.through.objects.filter(mention_id=OuterRef("pk")))
        | Exists(Mention.cases.through.objects.filter(mention_id=OuterRef("pk")))
        | Exists(Mention.escalations.through.objects.filter(mention_id=OuterRef("pk")))
        | Exists(ClusterReply.objects.filter(mention_id=OuterRef("pk")))
        | Exists(CaseDelivery.objects.filter(mention_id=OuterRef("pk")))
        | Exists(Reply.objects.filter(mention_id=OuterRef("pk"), approval__isnull=False))
    )


def mentions_archive(
    *, before: datetime, directory: Path, batch_size: int = ARCHIVE_BATCH, max_batches: int | None = None
) -> ArchiveReport:
    """Archive then delete every archivable mention received before `before`, oldest first, in batches.

    Idempotent: a second run finds nothing left to archive. Raises `ArchiveVerificationFailed` (and
    deletes nothing of that batch) if a file does not read back as written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    report = ArchiveReport(before=before)
    batches = 0
    while max_batches is None or batches < max_batches:
        path, count = _batch_archive(before=before, directory=directory, batch_size=batch_size)
        if path is None:
            break
        batches += 1
        report.files.append(path.name)
        report.archived += count
    if report.archived:
        logger.info("Archived %s mentions received before %s to %s.", report.archived, before, directory)
    return report


def _batch_archive(*, before: datetime, directory: Path, batch_size: int) -> tuple[Path | None, int]:
    with transaction.atomic():
        mentions = list(
            mentions_archivable(before=before)
            .select_for_update(no_key=True, skip_locked=True)
            .order_by("received_at", "id")[:batch_size]
        )
        if not mentions:
            return None, 0
        ids = [mention.pk for mention in mentions]
        replies = _grouped(Reply.objects.filter(mention_id__in=ids).order_by("pk"))
        corrections = _grouped(LabelCorrection.objects.filter(mention_id__in=ids).order_by("pk"))
        first = mentions[0]
        path = directory / f"mentions-{first.received_at:%Y%m%d}-{first.pk}-{mentions[-1].pk}.jsonl.gz"
        _write(path, mentions, replies=replies, corrections=corrections)
        _verify(path, ids)
        Reply.objects.filter(mention_id__in=ids).delete()
        Mention.objects.filter(pk__in=ids).delete()
    return path, len(ids)


def _row(instance: Model) -> dict:
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname not in ARCHIVE_SKIPPED_FIELDS
    }


def _grouped(queryset: QuerySet) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = {}
    for instance in queryset:
        grouped.setdefault(instance.mention_id, []).append(_row(instance))
    return grouped


def _write(path: Path, mentions: list[Mention], *, replies: dict, corrections: dict) -> None:
    """Write to a temporary name, flush to disk, then rename: a file under its final name is whole."""
    partial = path.with_suffix(".part")
    with open(partial, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as archive:
        for mention in mentions:
            line = {
                "mention": _row(mention),
                "replies": replies.get(mention.pk, []),
                "label_corrections": corrections.get(mention.pk, []),
            }
            archive.write(json.dumps(line, cls=DjangoJSONEncoder, ensure_ascii=False).encode() + b"\n")
        archive.close()
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(partial, path)


def _verify(path: Path, ids: list[int]) -> None:
    """Read the file back (gzip checks its CRC) and find each of the batch's ids exactly once."""
    with gzip.open(path, "rt", encoding="utf-8") as archive:
        found = [json.loads(line)["mention"]["id"] for line in archive]
    if sorted(found) != sorted(ids):
        raise ArchiveVerificationFailed(f"{path.name} holds {len(found)} mentions, the batch {len(ids)}")


def mentions_archive_due(*, now: datetime | None = None) -> ArchiveReport:
    """The beat's run: archive past `MENTION_RETENTION_MONTHS` into `MENTION_ARCHIVE_DIR`; nothing when off."""
    months = settings.MENTION_RETENTION_MONTHS
    if months <= 0:
        return ArchiveReport()
    before = retention_cutoff(months=months, now=now)
    return mentions_archive(before=before, directory=Path(settings.MENTION_ARCHIVE_DIR))
