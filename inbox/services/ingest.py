"""Ingestion of a batch: validate, upsert the authors, triage, insert the mentions, count and announce.

Ingestion works on batches, in two steps: `mentions_prepare` (validation, one bulk upsert of authors,
fast triage; no lock held) and `mentions_store` (one INSERT … ON CONFLICT DO NOTHING of mentions, the
authors' history, clusters and minute counters in one transaction; one live event per batch). The
same mention twice is stored once, and a batch that fails leaves the channel's cursor where it was.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crisisdesk.metrics import mentions_stored_count
from crisisdesk.realtime import INBOX_GROUP, event, publish_on_commit
from inbox import hooks
from inbox.clusters import clusters_plan, clusters_record
from inbox.connectors import own_account_for
from inbox.connectors.base import ItemInvalid, NormalizedMention, RejectedItem
from inbox.connectors.normalise import http_url, mention_checked
from inbox.drills import is_drill_channel
from inbox.models import Author, Channel, MentionStatus, TriageRefine
from inbox.services.common import LIVE_EVENT_MENTIONS, IngestReport, dead_letters_record
from inbox.services.sql import _authors_refresh, _authors_upsert, _mentions_insert
from inbox.stats import minute_stats_record
from inbox.triage import TriageInput, fast_tier
from inbox.triage_tasks import refine_wake
from inbox.vocabulary import brand_vocabulary


@dataclass
class PreparedBatch:
    """A batch validated, with its authors stored and its mentions triaged: what `mentions_store` writes."""

    channel: Channel
    source: str
    report: IngestReport
    rejected: list[RejectedItem]
    authors: dict[str, Author] = field(default_factory=dict)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)


def prepared_batches_merge(batches: list[PreparedBatch]) -> PreparedBatch:
    """Several prepared batches of one channel and source as one, to be stored in one transaction.

    A mention in two of them is stored once and counted as a duplicate, as within one batch.
    """
    first = batches[0]
    merged = PreparedBatch(channel=first.channel, source=first.source, report=IngestReport(), rejected=[])
    for batch in batches:
        merged.report.merge(batch.report)
        merged.rejected += batch.rejected
        merged.authors.update(batch.authors)
        for external_id, row in batch.rows.items():
            if external_id in merged.rows:
                merged.report.duplicates += 1
            else:
                merged.rows[external_id] = row
    return merged


def mentions_ingest(
    *,
    channel: Channel,
    mentions: list[NormalizedMention],
    rejected: list[RejectedItem] | None = None,
    source: str = "poll",
    now: datetime | None = None,
) -> IngestReport:
    """Store a batch idempotently and emit `mention.new` once for what was really new.

    What the brand's own account wrote (its replies, its posts: `Connector.own_account`) is counted
    in `report.own` and never stored as a mention.
    """
    batch = mentions_prepare(channel=channel, mentions=mentions, rejected=rejected, source=source, now=now)
    return mentions_store(batch)


def mentions_prepare(
    *,
    channel: Channel,
    mentions: list[NormalizedMention],
    rejected: list[RejectedItem] | None = None,
    source: str = "poll",
    now: datetime | None = None,
) -> PreparedBatch:
    """The part of ingestion that needs no lock: validate, store the new authors, read their history, triage.

    Run outside a transaction (the intake and polling paths do), the authors' INSERT commits on its own
    and the triage's CPU time is spent before any row is locked, so two workers whose batches share
    authors wait for each other only during the short write that follows. Authors are reference rows:
    one kept after its batch fails is reused when the batch is retried.
    """
    report = IngestReport()
    rejected = list(rejected or [])
    unique = _batch_unique(channel=channel, mentions=mentions, rejected=rejected, report=report)
    batch = PreparedBatch(channel=channel, source=source, report=report, rejected=rejected)
    if unique:
        batch.authors = _authors_upsert(platform=_platform(channel), items=list(unique.values()))
        batch.rows = _mention_rows(channel=channel, items=list(unique.values()), authors=batch.authors, now=now)
    return batch


def mentions_store(batch: PreparedBatch) -> IngestReport:
    """Write a prepared batch in one transaction: dead letters, mentions, history, clusters and counters
    are all written or none."""
    channel, report, rows = batch.channel, batch.report, batch.rows
    with transaction.atomic():
        if batch.rejected:
            dead_letters_record(channel=channel, source=batch.source, rejected=batch.rejected)
            report.rejected = len(batch.rejected)
            report.reasons.update(item.reason.split(":")[0] for item in batch.rejected)
        if not rows:
            return report
        cluster_plan = clusters_plan(channel=channel, rows=rows)
        inserted = _mentions_insert(rows)
        report.created = len(inserted)
        report.duplicates += len(rows) - len(inserted)
        report.created_ids = [mention_id for mention_id, _ in inserted]
        new_rows = [rows[external_id] for _, external_id in inserted]
        if inserted:
            _publish_new(channel=channel, inserted=inserted, rows=rows)
            if settings.TRIAGE_MODEL_TIER:
                # The rows themselves are the refine queue (triage_refine="pending"); this only wakes a worker.
                transaction.on_commit(refine_wake)
            if not is_drill_channel(channel):  # a drill's replayed mentions are announced to nothing outside
                hooks.mentions_created(mention_ids=report.created_ids)
        # Shared rows last, always in this order (authors, clusters, minutes; each in key order): concurrent
        # batches update them, so their row locks are held from here to the commit only, and never deadlock.
        _authors_refresh(batch.authors, new_rows)
        clusters_record(plan=cluster_plan, inserted=inserted, rows=rows)
        if inserted:
            minute_stats_record(channel=channel, rows=new_rows)
    return report


def _batch_unique(
    *, channel: Channel, mentions: list[NormalizedMention], rejected: list[RejectedItem], report: IngestReport
) -> dict[str, NormalizedMention]:
    """The batch's storable mentions by external id: not the brand's own, valid, each once.

    The brand's own are counted in `report.own`, the invalid added to `rejected`, repeats counted.
    """
    own = own_account_for(channel)
    theirs = [item for item in mentions if not (isinstance(item, NormalizedMention) and own.wrote(item.author))]
    report.own = len(mentions) - len(theirs)
    valid, invalid = _mentions_validate(theirs)
    rejected += invalid
    unique: dict[str, NormalizedMention] = {}
    for item in valid:
        if item.external_id in unique:
            report.duplicates += 1
        else:
            unique[item.external_id] = item
    return unique


def _mentions_validate(items: list[NormalizedMention]) -> tuple[list[NormalizedMention], list[RejectedItem]]:
    """Keep what the database can store; the rest becomes dead letters instead of failing the batch.

    A single bad item (an over-long id, a NUL in an id, a lone surrogate in a text, a naive date)
    must not hold back the cursor and with it every mention behind it (`mention_checked`).
    """
    valid: list[NormalizedMention] = []
    rejected: list[RejectedItem] = []
    for item in items:
        try:
            valid.append(mention_checked(item))
        except ItemInvalid as error:
            rejected.append(RejectedItem(reason=str(error), payload=_item_payload(item)))
    return valid, rejected


def _item_payload(item: Any) -> dict[str, Any]:
    return {
        "external_id": str(getattr(item, "external_id", ""))[:200],
        "text": str(getattr(item, "text", ""))[:2000],
        "posted_at": str(getattr(item, "posted_at", "")),
        "author": str(getattr(getattr(item, "author", None), "external_id", ""))[:200],
        "raw": getattr(item, "raw", None),
    }


def _platform(channel: Channel) -> str:
    return channel.kind


def _mention_rows(
    *, channel: Channel, items: list[NormalizedMention], authors: dict[str, Author], now: datetime | None = None
) -> dict[str, dict[str, Any]]:
    now = now or timezone.now()
    author_list = [authors[item.author.external_id] for item in items]
    in_crisis = hooks.crisis_reader().open_crisis_exists(brand=channel.brand)
    vocabulary = brand_vocabulary(brand=channel.brand).matcher()
    inputs = [
        TriageInput(
            text=item.text,
            language=item.language,
            followers=author.followers,
            verified=author.verified,
            previous_mentions=author.mention_count,
            hidden_as_troll=author.hidden_as_troll_count,
            in_open_crisis=in_crisis,
            vocabulary=vocabulary,
        )
        for item, author in zip(items, author_list, strict=True)
    ]
    results = fast_tier().triage_batch(inputs)
    rows: dict[str, dict[str, Any]] = {}
    for item, author, triage in zip(items, author_list, results, strict=True):
        rows[item.external_id] = {
            "channel_id": channel.pk,
            "external_id": item.external_id,
            "conversation_id": item.conversation_id or item.external_id,
            "in_reply_to_external_id": item.in_reply_to_external_id,
            "author_id": author.pk,
            "text": item.text,
            "language": triage.language,
            "url": http_url(item.url),
            "posted_at": item.posted_at,
            "received_at": now,
            "raw": item.raw,
            "sentiment": triage.sentiment,
            "sentiment_score": triage.sentiment_score,
            "category": triage.category,
            "priority": triage.priority,
            "suggested_action": triage.suggested_action,
            "suggested_department": triage.suggested_department,
            "triage_reasons": triage.reasons,
            "triage_tier": triage.tier,
            "triage_refine": TriageRefine.PENDING.value if settings.TRIAGE_MODEL_TIER else "",
            "engagement": item.engagement,
            "status": MentionStatus.NEW.value,
            "is_hidden": False,
            "hidden_reason": "",
            "_topics": triage.topics,
            "_followers": author.followers,
        }
    return rows


def _publish_new(*, channel: Channel, inserted: list[tuple[int, str]], rows: dict[str, dict[str, Any]]) -> None:
    """`mention.new`: how many, every new id, and the summaries of the most urgent few."""
    summaries = []
    urgent = heapq.nlargest(LIVE_EVENT_MENTIONS, inserted, key=lambda pair: rows[pair[1]]["priority"])
    for mention_id, external_id in urgent:
        row = rows[external_id]
        summaries.append(
            {
                "id": mention_id,
                "channel": channel.kind,
                "channel_name": channel.name,
                "text": row["text"][:280],
                "priority": row["priority"],
                "sentiment": row["sentiment"],
                "category": row["category"],
                "suggested_action": row["suggested_action"],
                "posted_at": row["posted_at"].isoformat(),
            }
        )
    ids = [mention_id for mention_id, _ in inserted]
    publish_on_commit([INBOX_GROUP], event("mention.new", count=len(inserted), ids=ids, mentions=summaries))
    kind, count = channel.kind, len(inserted)
    transaction.on_commit(lambda: mentions_stored_count(channel_kind=kind, count=count))
