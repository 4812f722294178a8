"""Writes for the inbox: the ingestion pipeline, channel polling, and what community managers do.

Ingestion works on batches: one bulk upsert of authors, one INSERT … ON CONFLICT DO NOTHING of
mentions, one upsert of the minute counters, one live event per batch. The same mention twice is
stored once, and a batch that fails leaves the channel's cursor where it was.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, connection, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import AuditEvent, Role, User
from crisisdesk.parsers import JsonDocumentInvalid, json_loads_bounded
from crisisdesk.realtime import INBOX_GROUP, event, group_for_role, group_for_user, publish_on_commit
from crisisdesk.roles import user_role
from crisisdesk.text import clean_display_name
from inbox import events
from inbox.clusters import clusters_plan, clusters_record
from inbox.connectors import connector_for
from inbox.connectors.base import ConnectorError, ItemInvalid, NormalizedMention, RateLimited, RejectedItem
from inbox.connectors.normalise import mention_checked, storable_text
from inbox.models import (
    OPEN_STATUSES,
    PUSH_ONLY_KINDS,
    Author,
    Channel,
    ChannelKind,
    DeadLetter,
    Intake,
    Mention,
    MentionStatus,
    Reply,
    ReplyState,
)
from inbox.triage import TriageInput, fast_tier

logger = logging.getLogger(__name__)

HIGH_REACH_FOLLOWERS = 10_000
MAX_BACKOFF_SECONDS = 3600
LIVE_EVENT_MENTIONS = 50
CLAIM_LEASE = timedelta(minutes=5)
REPLAY_WINDOW = timedelta(hours=24)
INTAKE_MAX_ATTEMPTS = 5


class InboxError(Exception):
    """A community manager's action that cannot be done; the message says why."""


class MentionNotFound(InboxError):
    """The mention (or reply) acted on does not exist; pages and the API answer 404."""


@dataclass
class IngestReport:
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    created_ids: list[int] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)

    def merge(self, other: IngestReport) -> None:
        self.created += other.created
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.created_ids += other.created_ids
        self.reasons.update(other.reasons)


def dead_letters_record(*, channel: Channel | None, source: str, rejected: list[RejectedItem]) -> None:
    DeadLetter.objects.bulk_create(
        [
            DeadLetter(
                channel=channel,
                source=source,
                reason=storable_text(str(item.reason)[:2000]),
                payload=_payload_text(item.payload),
            )
            for item in rejected
        ]
    )


def _payload_text(payload: Any) -> str:
    """What was received, as text PostgreSQL keeps: JSON with NUL and lone surrogates escaped, never lost."""
    if isinstance(payload, bytes | bytearray):
        text = bytes(payload[:100_000]).decode("utf-8", errors="backslashreplace")
    elif isinstance(payload, str):
        text = payload[:100_000]
    else:
        try:
            text = json.dumps(payload, ensure_ascii=False, default=str)[:100_000]
        except (TypeError, ValueError, RecursionError):
            text = repr(payload)[:100_000]
    return storable_text(text)


def mentions_ingest(
    *,
    channel: Channel,
    mentions: list[NormalizedMention],
    rejected: list[RejectedItem] | None = None,
    source: str = "poll",
    now: datetime | None = None,
) -> IngestReport:
    """Store a batch idempotently and emit `mention.new` once for what was really new.

    Runs in one transaction: authors, mentions, counters and dead letters are all written or none.
    """
    report = IngestReport()
    rejected = list(rejected or [])
    mentions, invalid = _mentions_validate(mentions)
    rejected += invalid
    unique: dict[str, NormalizedMention] = {}
    for item in mentions:
        if item.external_id in unique:
            report.duplicates += 1
        else:
            unique[item.external_id] = item
    with transaction.atomic():
        if rejected:
            dead_letters_record(channel=channel, source=source, rejected=rejected)
            report.rejected = len(rejected)
            report.reasons.update(item.reason.split(":")[0] for item in rejected)
        if not unique:
            return report
        authors = _authors_upsert(platform=_platform(channel), items=list(unique.values()))
        rows = _mention_rows(channel=channel, items=list(unique.values()), authors=authors, now=now)
        cluster_plan = clusters_plan(channel=channel, rows=rows)
        inserted = _mentions_insert(rows)
        report.created = len(inserted)
        report.duplicates += len(unique) - len(inserted)
        report.created_ids = [mention_id for mention_id, _ in inserted]
        new_rows = [rows[external_id] for _, external_id in inserted]
        clusters_record(plan=cluster_plan, inserted=inserted, rows=rows)
        _authors_refresh(authors, new_rows)
        if inserted:
            from inbox.stats import minute_stats_record

            minute_stats_record(channel=channel, rows=new_rows)
            _publish_new(channel=channel, inserted=inserted, rows=rows)
            if settings.TRIAGE_MODEL_TIER:
                from inbox.triage_tasks import mentions_refine
                transaction.on_commit(lambda ids=list(report.created_ids): mentions_refine.delay(ids))
            from crisisdesk.webhooks import webhook_mentions_emit

            webhook_mentions_emit(mention_ids=report.created_ids)
    return report


def mentions_ingest_batch(
    *, channel_id: int, items: list[dict[str, Any]], source: str = "batch", delivery_key: str = ""
) -> IngestReport | None:
    """Ingest a batch of items in the generic webhook's JSON shape; as idempotent as `mentions_ingest`.

    The batch is written as an intake row first (keyed by `delivery_key`, the task id, so a redelivered
    message finds it), then processed as any intake. Bad items become dead letters; a channel that no
    longer exists or is disabled ingests nothing.
    """
    channel = Channel.objects.filter(pk=channel_id, is_enabled=True).first()
    if channel is None:
        return None
    encodable: list[Any] = []
    unencodable: list[RejectedItem] = []
    for item in items:
        try:
            json.dumps(item, allow_nan=False)
        except (TypeError, ValueError) as error:
            unencodable.append(RejectedItem(reason=f"invalid JSON: {error}", payload=repr(item)))
        else:
            encodable.append(item)
    body = json.dumps(encodable, allow_nan=False).encode()
    intake = _intake_create(channel=channel, source=source, body=body, delivery_key=delivery_key, enqueue=False)
    report = intake_process(intake_id=intake.pk)
    if unencodable:
        # Items JSON cannot carry (an infinite number) are dead letters of their own; the rest go on.
        dead_letters_record(channel=channel, source=source, rejected=unencodable)
        if report is not None:
            report.rejected += len(unencodable)
            report.reasons.update(["invalid JSON"] * len(unencodable))
    return report


# Intake: what arrives is in PostgreSQL before anyone is told it was received -------------------


def intake_receive(*, channel: Channel, source: str, body: bytes) -> tuple[Intake, bool]:
    """Keep a pushed body and queue its processing after commit; (intake, True) for a replay.

    An authenticated body whose exact bytes were already received in the last `REPLAY_WINDOW` is not
    kept again. The enqueue may fail (the broker is down): the failure is logged, the row stays, and
    `intakes_requeue_stale` queues it again, so the sender is still answered 2xx.
    """
    digest = hashlib.sha256(body).hexdigest()
    earlier = (
        Intake.objects.filter(channel=channel, body_sha256=digest, received_at__gte=timezone.now() - REPLAY_WINDOW)
        .order_by("-pk")
        .first()
    )
    if earlier is not None:
        return earlier, True
    return _intake_create(channel=channel, source=source, body=body), False


def _intake_create(
    *, channel: Channel, source: str, body: bytes, delivery_key: str = "", enqueue: bool = True
) -> Intake:
    now = timezone.now()
    with transaction.atomic():
        if delivery_key:
            intake, _created = Intake.objects.get_or_create(
                delivery_key=delivery_key,
                defaults={
                    "channel": channel,
                    "source": source,
                    "body": body,
                    "body_sha256": hashlib.sha256(body).hexdigest(),
                    "received_at": now,
                    "queued_at": now,
                },
            )
        else:
            intake = Intake.objects.create(
                channel=channel,
                source=source,
                body=body,
                body_sha256=hashlib.sha256(body).hexdigest(),
                received_at=now,
                queued_at=now,
            )
        if enqueue:
            _intakes_enqueue_on_commit([intake.pk])
    return intake


def _intakes_enqueue_on_commit(intake_ids: list[int]) -> None:
    """Queue after commit on a connection that fails at once: kombu's default is to retry for ~6 s, which
    would hold every webhook answer that long while the broker is down, for nothing the sweeper won't do."""
    from inbox.tasks import intake_process as intake_process_task

    def enqueue() -> None:
        try:
            with intake_process_task.app.connection_for_write() as broker:
                broker.transport_options.update(max_retries=0)
                for intake_id in intake_ids:
                    intake_process_task.apply_async((intake_id,), retry=False, connection=broker)
        except Exception:  # any broker failure: the rows are safe in PostgreSQL and the sweeper queues them again
            logger.warning(
                "Intake %s kept but not queued (broker unreachable); the sweeper will queue it.",
                ", ".join(map(str, intake_ids)),
                exc_info=True,
            )

    transaction.on_commit(enqueue)


def intake_process(*, intake_id: int) -> IngestReport | None:
    """Ingest one intake row, once: it is locked (a concurrent or redelivered run skips it) and marked
    processed in the same transaction as its mentions, counters and dead letters.

    Returns None when the row is already processed or being processed elsewhere. A database error is
    raised for the task to retry; any other failure is recorded on the row (attempts, last error) for
    the sweeper to retry, and after `INTAKE_MAX_ATTEMPTS` the body becomes a dead letter.
    """
    try:
        with transaction.atomic():
            # Only the intake row is locked ("of"): locking the joined channel too made concurrent batches of
            # one channel skip each other's rows, leaving them to the sweeper.
            intake = (
                Intake.objects.select_for_update(
                    skip_locked=connection.features.has_select_for_update_skip_locked, of=("self",)
                )
                .select_related("channel")
                .filter(pk=intake_id, processed_at__isnull=True)
                .first()
            )
            if intake is None:
                return None
            report = _intake_ingest(intake)
            intake.processed_at = timezone.now()
            intake.attempts += 1
            intake.last_error = ""
            intake.save(update_fields=["processed_at", "attempts", "last_error"])
            return report
    except (DatabaseError, InterfaceError):
        raise
    except Exception as error:  # a connector's bug must not leave the row looping without a trace
        logger.exception("Intake %s could not be processed", intake_id)
        _intake_failure_record(intake_id=intake_id, message=f"{type(error).__name__}: {error}")
        return None


def _intake_ingest(intake: Intake) -> IngestReport:
    channel = intake.channel
    body = bytes(intake.body)

    def refuse(reason: str) -> IngestReport:
        dead_letters_record(
            channel=channel, source=intake.source, rejected=[RejectedItem(reason=reason, payload=body)]
        )
        return IngestReport(rejected=1, reasons=Counter([reason.split(":")[0]]))

    if not channel.is_enabled:
        return refuse("channel_disabled: the channel was disabled before this batch was processed")
    try:
        payload = json_loads_bounded(body)
    except JsonDocumentInvalid as error:
        return refuse(f"invalid JSON: {error}")
    generic = intake.source == "batch" or channel.kind == ChannelKind.WEBHOOK
    parser = _batch_parser() if generic else connector_for(channel)
    try:
        result = parser.parse_payload(payload)
    except ConnectorError as error:
        return refuse(f"unrecognised payload: {error}")
    return mentions_ingest(channel=channel, mentions=result.mentions, rejected=result.rejected, source=intake.source)


def _intake_failure_record(*, intake_id: int, message: str) -> None:
    with transaction.atomic():
        intake = (
            Intake.objects.select_for_update(of=("self",)).select_related("channel").filter(pk=intake_id).first()
        )
        if intake is None or intake.processed_at is not None:
            return
        intake.attempts += 1
        intake.last_error = storable_text(message[:2000])
        if intake.attempts >= INTAKE_MAX_ATTEMPTS:
            dead_letters_record(
                channel=intake.channel,
                source=intake.source,
                rejected=[RejectedItem(reason=f"intake_failed: {intake.last_error}", payload=bytes(intake.body))],
            )
            intake.processed_at = timezone.now()
        intake.save(update_fields=["attempts", "last_error", "processed_at"])


def intakes_requeue_stale(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Queue again the intake rows not processed within `INTAKE_REQUEUE_SECONDS` of being queued.

    Rows being processed are locked and skipped; each queued row's clock restarts, so a row waiting
    behind a long backlog is queued again at most once per interval. Safe to run twice.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.INTAKE_REQUEUE_SECONDS)
    with transaction.atomic():
        stale = list(
            Intake.objects.select_for_update(skip_locked=connection.features.has_select_for_update_skip_locked)
            .filter(processed_at__isnull=True, queued_at__lte=cutoff)
            .order_by("queued_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if stale:
            Intake.objects.filter(pk__in=stale).update(queued_at=now)
            _intakes_enqueue_on_commit(stale)
    if stale:
        logger.warning("Queued %s intake rows again that were not processed in time.", len(stale))
    return len(stale)


def intakes_prune(*, now: datetime | None = None, chunk: int = 10_000) -> int:
    """Delete processed intake rows older than `INTAKE_RETENTION_HOURS` (kept for replays and inquiry)."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.INTAKE_RETENTION_HOURS)
    deleted = 0
    while True:
        ids = list(
            Intake.objects.filter(processed_at__isnull=False, processed_at__lt=cutoff).values_list("pk", flat=True)[
                :chunk
            ]
        )
        if not ids:
            return deleted
        deleted += Intake.objects.filter(pk__in=ids).delete()[0]


@functools.cache
def _batch_parser():
    """One stateless parser per process: building a connector builds an HTTP client, too slow per batch."""
    from inbox.connectors.webhook import WebhookConnector

    return WebhookConnector()


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


def _authors_upsert(*, platform: str, items: list[NormalizedMention]) -> dict[str, Author]:
    """Insert the authors never seen before and read the others, without locking a single row.

    The returned history (mentions so far, times hidden as a troll) feeds triage. Rows are locked
    only at the end of the batch (`_authors_refresh`), so concurrent batches sharing authors overlap
    their work instead of queueing behind each other's whole transaction.
    """
    by_id: dict[str, Author] = {}
    for item in items:
        author = item.author
        by_id[author.external_id] = Author(
            platform=platform,
            external_id=author.external_id,
            handle=author.handle[:128],
            display_name=clean_display_name(author.display_name)[:200],
            followers=max(0, int(author.followers or 0)),
            verified=bool(author.verified),
            account_created_at=author.account_created_at,
        )
    authors = sorted(by_id.values(), key=lambda author: author.external_id)
    fields = [field for field in Author._meta.concrete_fields if not field.primary_key]
    preparers = [_db_value(field) for field in fields]
    table = connection.ops.quote_name(Author._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    history = "id, external_id, mention_count, complaint_count, hidden_as_troll_count"
    with connection.cursor() as cursor:
        for start in range(0, len(authors), _insert_batch_size(len(fields))):
            chunk = authors[start : start + _insert_batch_size(len(fields))]
            params = [
                prepare(field.pre_save(author, True))
                for author in chunk
                for field, prepare in zip(fields, preparers, strict=True)
            ]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(chunk))} "
                f"ON CONFLICT (platform, external_id) DO NOTHING RETURNING {history}",
                params,
            )
            _authors_history_set(by_id, cursor.fetchall())
    known = [external_id for external_id, author in by_id.items() if author.pk is None]
    if known:
        _authors_history_set(
            by_id,
            Author.objects.filter(platform=platform, external_id__in=known).values_list(*history.split(", ")),
        )
    return by_id


def _authors_history_set(by_id: dict[str, Author], history_rows) -> None:
    for author_id, external_id, mention_count, complaint_count, hidden_count in history_rows:
        author = by_id[external_id]
        author.pk = author_id
        author.mention_count = mention_count
        author.complaint_count = complaint_count
        author.hidden_as_troll_count = hidden_count
        author._state.adding = False


def _authors_refresh(authors: dict[str, Author], new_rows: list[dict[str, Any]]) -> None:
    """Refresh every author's profile and add the batch's new mentions to their history: one UPDATE.

    This is where the authors are locked, in id order (two batches never deadlock), late in the
    transaction so the locks are held only until the commit that follows.
    """
    mentions = Counter(row["author_id"] for row in new_rows)
    complaints = Counter(row["author_id"] for row in new_rows if row["category"] == "complaint")
    ordered = sorted(authors.values(), key=lambda author: author.pk)
    locked = Author.objects.select_for_update().filter(pk__in=[author.pk for author in ordered]).order_by("pk")
    list(locked.values_list("pk", flat=True))
    table = connection.ops.quote_name(Author._meta.db_table)
    params = [
        value
        for author in ordered
        for value in (
            *(author.pk, author.handle, author.display_name, author.followers, author.verified),
            *(mentions.get(author.pk, 0), complaints.get(author.pk, 0)),
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH batch(author_id, handle, display_name, followers, verified, mentions, complaints) AS "
            f"(VALUES {', '.join(['(%s, %s, %s, %s, %s, %s, %s)'] * len(ordered))}) "
            f"UPDATE {table} SET handle = batch.handle, display_name = batch.display_name, "
            f"followers = batch.followers, verified = batch.verified, "
            f"mention_count = {table}.mention_count + batch.mentions, "
            f"complaint_count = {table}.complaint_count + batch.complaints "
            f"FROM batch WHERE {table}.id = batch.author_id",
            params,
        )


def _db_value(field) -> Any:
    """How a value reaches the driver: psycopg2 adapts plain values and JSON text itself (a jsonb column
    takes a quoted literal), which costs a fraction of Django's per-value adapters."""
    if connection.vendor != "postgresql" or (field.get_internal_type() == "JSONField" and field.encoder):
        return lambda value: field.get_db_prep_save(value, connection)
    if field.get_internal_type() == "JSONField":
        return _as_json
    return _as_is


def _as_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _as_is(value: Any) -> Any:
    return value


def _insert_batch_size(columns: int) -> int:
    """SQLite caps the variables of one statement; PostgreSQL takes a whole batch at once."""
    return max(1, 30_000 // columns) if connection.vendor == "sqlite" else 1000


def _http_url(url: str) -> str:
    """Only http(s) links are stored: a stranger's `javascript:` or `data:` URL must never become a link."""
    url = (url or "").strip()
    return url[:500] if url.lower().startswith(("http://", "https://")) else ""


def _mention_rows(
    *, channel: Channel, items: list[NormalizedMention], authors: dict[str, Author], now: datetime | None = None
) -> dict[str, dict[str, Any]]:
    now = now or timezone.now()
    author_list = [authors[item.author.external_id] for item in items]
    from playbooks.selectors import open_crisis_exists

    in_crisis = open_crisis_exists(brand=channel.brand)
    inputs = [
        TriageInput(
            text=item.text,
            language=item.language,
            followers=author.followers,
            verified=author.verified,
            previous_mentions=author.mention_count,
            hidden_as_troll=author.hidden_as_troll_count,
            in_open_crisis=in_crisis,
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
            "url": _http_url(item.url),
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
            "status": MentionStatus.NEW.value,
            "is_hidden": False,
            "hidden_reason": "",
            "_topics": triage.topics,
            "_followers": author.followers,
        }
    return rows


def _mentions_insert(rows: dict[str, dict[str, Any]]) -> list[tuple[int, str]]:
    """INSERT … ON CONFLICT (channel, external_id) DO NOTHING RETURNING id, external_id.

    On PostgreSQL the full-text vector is computed in the same INSERT, so each row is written once.
    """
    first = next(iter(rows.values()))
    fields = [
        field for field in Mention._meta.concrete_fields if field.column != "id" and field.attname in first
    ]
    preparers = [_db_value(field) for field in fields]
    names = [connection.ops.quote_name(field.column) for field in fields]
    slots = ["%s"] * len(fields)
    with_vector = connection.vendor == "postgresql" and any(
        field.column == "search_vector" for field in Mention._meta.concrete_fields
    )
    if with_vector:
        names.append(connection.ops.quote_name("search_vector"))
        slots.append("to_tsvector('simple'::regconfig, %s)")
    placeholders = "(" + ", ".join(slots) + ")"
    table = connection.ops.quote_name(Mention._meta.db_table)
    inserted: list[tuple[int, str]] = []
    batch_size = _insert_batch_size(len(slots))
    values = list(rows.values())
    with connection.cursor() as cursor:
        for start in range(0, len(values), batch_size):
            chunk = values[start : start + batch_size]
            params: list[Any] = []
            for row in chunk:
                params += [
                    prepare(row[field.attname]) for field, prepare in zip(fields, preparers, strict=True)
                ]
                if with_vector:
                    params.append(row["text"])
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES {', '.join([placeholders] * len(chunk))} "
                "ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING id, external_id",
                params,
            )
            inserted += [(int(row[0]), row[1]) for row in cursor.fetchall()]
    return inserted


def _publish_new(*, channel: Channel, inserted: list[tuple[int, str]], rows: dict[str, dict[str, Any]]) -> None:
    summaries = []
    for mention_id, external_id in inserted[-LIVE_EVENT_MENTIONS:]:
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
    publish_on_commit([INBOX_GROUP], event("mention.new", count=len(inserted), mentions=summaries))


def channel_poll(*, channel_id: int) -> IngestReport | None:
    """Fetch what is new on one channel, store it and advance the cursor, in one transaction.

    A failure of any kind leaves the cursor untouched, counts a consecutive failure and backs
    off exponentially; other channels are unaffected.
    """
    channel = Channel.objects.filter(pk=channel_id, is_enabled=True).first()
    if channel is None:
        return None
    now = timezone.now()
    try:
        connector = connector_for(channel)
        result = connector.fetch_since(dict(channel.cursor or {}))
        with transaction.atomic():
            locked = Channel.objects.select_for_update().get(pk=channel.pk)
            if locked.cursor != channel.cursor:
                logger.info("Channel %s was polled concurrently; this run gives way.", channel.pk)
                return None
            report = mentions_ingest(
                channel=locked, mentions=result.mentions, rejected=result.rejected, source=f"poll:{channel.kind}"
            )
            locked.cursor = result.next_cursor
            locked.last_polled_at = now
            locked.last_success_at = now
            locked.consecutive_failures = 0
            locked.next_poll_at = now + timedelta(seconds=locked.poll_interval_seconds)
            locked.save(
                update_fields=["cursor", "last_polled_at", "last_success_at", "consecutive_failures", "next_poll_at"]
            )
        return report
    except RateLimited as error:
        channel_failure_record(channel_id=channel.pk, message=str(error), retry_at=error.retry_at)
    except (ConnectorError, ValueError) as error:
        channel_failure_record(channel_id=channel.pk, message=str(error))
    except (DatabaseError, InterfaceError):
        raise
    except Exception as error:  # an adapter's bug must back off like any failure, not hold the lease
        logger.exception("Channel %s poll crashed", channel.pk)
        channel_failure_record(channel_id=channel.pk, message=f"{type(error).__name__}: {error}")
    return None


def channel_failure_record(*, channel_id: int, message: str, retry_at=None) -> None:
    now = timezone.now()
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel_id)
        channel.consecutive_failures += 1
        channel.last_error = message[:2000]
        channel.last_error_at = now
        channel.last_polled_at = now
        backoff = min(MAX_BACKOFF_SECONDS, channel.poll_interval_seconds * 2 ** min(channel.consecutive_failures, 10))
        channel.next_poll_at = retry_at or now + timedelta(seconds=backoff)
        channel.save(
            update_fields=["consecutive_failures", "last_error", "last_error_at", "last_polled_at", "next_poll_at"]
        )
    logger.warning("Channel %s failed (%s): %s", channel_id, channel.consecutive_failures, message)


def channels_claim_due(*, now=None) -> list[int]:
    """Pick channels whose poll is due and push their next poll forward, so a second beat skips them."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Channel.objects.select_for_update(skip_locked=connection.features.has_select_for_update_skip_locked)
            .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now), is_enabled=True)
            .exclude(kind__in=PUSH_ONLY_KINDS)
            .values_list("id", flat=True)
        )
        Channel.objects.filter(pk__in=due).update(next_poll_at=now + CLAIM_LEASE)
    return due


# Community managers' actions ------------------------------------------------------------------

REPLY_MAX_ATTEMPTS = 5


class ReplyDeliveryFailed(Exception):
    """A reply could not be published this time and has attempts left: the task retries it with backoff."""

    def __init__(self, reply_id: int, message: str):
        super().__init__(message)
        self.reply_id = reply_id


def assign_cap() -> int:
    return int(getattr(settings, "INBOX_ASSIGN_CAP", 25))


def return_after() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "INBOX_RETURN_MINUTES", 15)))


def _mention_for_update(mention_id: int) -> Mention:
    try:
        return (
            Mention.objects.select_for_update(of=("self",)).select_related("channel", "assignee").get(pk=mention_id)
        )
    except Mention.DoesNotExist as error:
        raise MentionNotFound(_("That mention does not exist.")) from error


def _publish_changed(mention: Mention, change: str) -> None:
    publish_on_commit([INBOX_GROUP], events.mention_changed(mention, change=change))


def _require_console_staff(actor: User) -> None:
    if user_role(actor) not in (Role.COMMUNITY_MANAGER, Role.ADMIN):
        raise InboxError(_("Only community managers may act on mentions."))


def mention_assign(*, mention_id: int, assignee: User | None, actor: User) -> Mention:
    """Assign (or unassign with None) a mention. Audited as "mention.assign"; pushes `mention.changed`."""
    _require_console_staff(actor)
    if assignee is not None and (assignee.role != Role.COMMUNITY_MANAGER or not assignee.is_active):
        raise InboxError(_("Mentions can only be assigned to active community managers."))
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        previous = mention.assignee_id
        mention.assignee = assignee
        mention.assigned_at = timezone.now() if assignee else None
        if mention.status in (MentionStatus.NEW, MentionStatus.ASSIGNED):
            mention.status = MentionStatus.ASSIGNED if assignee else MentionStatus.NEW
        mention.save(update_fields=["assignee", "assigned_at", "status"])
        audit_record(
            actor=actor,
            verb="mention.assign",
            target=mention,
            data={"assignee": assignee.pk if assignee else None, "from": previous},
        )
        _publish_changed(mention, "assigned")
    return mention


def mention_take_over(*, mention_id: int, actor: User) -> Mention:
    """Take a colleague's mention explicitly, so that only one person answers. Audited as "mention.take_over".

    Idempotent: taking over one's own mention changes nothing and records nothing.
    """
    _require_console_staff(actor)
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        if mention.assignee_id == actor.pk:
            return mention
        previous = mention.assignee_id
        mention.assignee = actor
        mention.assigned_at = timezone.now()
        if mention.status == MentionStatus.NEW:
            mention.status = MentionStatus.ASSIGNED
        mention.save(update_fields=["assignee", "assigned_at", "status"])
        audit_record(actor=actor, verb="mention.take_over", target=mention, data={"from": previous})
        _publish_changed(mention, "taken_over")
        if previous:
            publish_on_commit(
                [group_for_user(previous)], events.mention_changed(mention, change="taken_over")
            )
    return mention


def mentions_auto_assign(*, limit: int = 50) -> int:
    """Hand the highest-priority unassigned new mentions round-robin to the community managers on duty.

    Nobody gets more than `INBOX_ASSIGN_CAP` open mentions; the least loaded person is served first
    (ties: whoever was assigned longest ago). Locks the managers, then the mentions, so two runs
    cannot both fill the same person past the cap. Returns how many mentions were assigned; each is
    audited as "mention.assign" (actor None, "auto": true) and pushed as `mention.changed`.
    """
    cap = assign_cap()
    if limit <= 0 or cap <= 0:
        return 0
    with transaction.atomic():
        managers = list(
            User.objects.select_for_update()
            .filter(role=Role.COMMUNITY_MANAGER, is_active=True, is_on_duty=True)
            .order_by("pk")
        )
        if not managers:
            return 0
        loads = dict(
            Mention.objects.filter(assignee__in=managers, status__in=OPEN_STATUSES)
            .values("assignee")
            .annotate(open=Count("pk"))
            .values_list("assignee", "open")
        )
        last_assigned = dict(
            Mention.objects.filter(assignee__in=managers, assigned_at__isnull=False)
            .values("assignee")
            .annotate(last=Max("assigned_at"))
            .values_list("assignee", "last")
        )
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        queue = [
            (loads.get(manager.pk, 0), last_assigned.get(manager.pk) or epoch, manager.pk, manager)
            for manager in managers
            if loads.get(manager.pk, 0) < cap
        ]
        capacity = sum(cap - item[0] for item in queue)
        if not queue or capacity <= 0:
            return 0
        heapq.heapify(queue)
        mentions = list(
            Mention.objects.select_for_update(skip_locked=connection.features.has_select_for_update_skip_locked)
            .filter(status=MentionStatus.NEW, assignee__isnull=True, is_hidden=False)
            .order_by("-priority", "received_at", "pk")[: min(limit, capacity)]
        )
        now = timezone.now()
        sequence = 0
        for mention in mentions:
            load, _last, pk, manager = heapq.heappop(queue)
            mention.assignee = manager
            mention.assigned_at = now
            mention.status = MentionStatus.ASSIGNED
            sequence += 1
            if load + 1 < cap:
                # A later "last assigned" sends this person to the back of equally loaded colleagues.
                heapq.heappush(queue, (load + 1, now + timedelta(microseconds=sequence), pk, manager))
        Mention.objects.bulk_update(mentions, ["assignee", "assigned_at", "status"])
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    actor=None,
                    verb="mention.assign",
                    target_type=Mention._meta.label_lower,
                    target_id=str(mention.pk),
                    data={"assignee": mention.assignee_id, "auto": True},
                )
                for mention in mentions
            ]
        )
        for mention in mentions:
            _publish_changed(mention, "assigned")
    return len(mentions)


def mentions_return_unanswered(*, now: datetime | None = None) -> int:
    """Put back in the queue the assigned mentions nobody answered within `INBOX_RETURN_MINUTES`.

    Each goes back to "new" without an assignee, is audited as "mention.returned", and the team lead
    (group `role.director`) and the former assignee are told with `mention.returned`. Safe to run
    twice: a returned mention is no longer "assigned", so a second sweep finds nothing.
    """
    now = now or timezone.now()
    cutoff = now - return_after()
    with transaction.atomic():
        stale = list(
            Mention.objects.select_for_update(
                skip_locked=connection.features.has_select_for_update_skip_locked, of=("self",)
            )
            .filter(status=MentionStatus.ASSIGNED, assignee__isnull=False, assigned_at__lte=cutoff)
            .select_related("assignee")
            .order_by("pk")
        )
        for mention in stale:
            previous = mention.assignee
            mention.status = MentionStatus.NEW
            mention.assignee = None
            mention.assigned_at = None
            audit_record(
                actor=None,
                verb="mention.returned",
                target=mention,
                data={"from": previous.pk, "minutes": int(return_after().total_seconds() // 60)},
            )
            _publish_changed(mention, "returned")
            publish_on_commit(
                [group_for_role(Role.DIRECTOR), group_for_user(previous.pk)],
                events.mention_returned(
                    mention, previous_assignee_id=previous.pk, previous_assignee=events.person_name(previous)
                ),
            )
        Mention.objects.bulk_update(stale, ["status", "assignee", "assigned_at"])
    return len(stale)


def mention_hide(*, mention_id: int, actor: User, reason: str, as_troll: bool = False) -> Mention:
    """Hide, never delete. Hiding as a troll feeds the author's history. Idempotent; audited as "mention.hide"."""
    _require_console_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InboxError(_("Say why the mention is hidden."))
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        if mention.is_hidden:
            return mention
        mention.is_hidden = True
        mention.hidden_reason = reason[:200]
        mention.hidden_by = actor
        mention.hidden_at = timezone.now()
        mention.save(update_fields=["is_hidden", "hidden_reason", "hidden_by", "hidden_at"])
        if as_troll:
            Author.objects.filter(pk=mention.author_id).update(hidden_as_troll_count=F("hidden_as_troll_count") + 1)
        audit_record(actor=actor, verb="mention.hide", target=mention, data={"reason": reason, "as_troll": as_troll})
        _publish_changed(mention, "hidden")
    return mention


def mention_unhide(*, mention_id: int, actor: User) -> Mention:
    """Show a hidden mention again. Idempotent; audited as "mention.unhide"."""
    _require_console_staff(actor)
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        if not mention.is_hidden:
            return mention
        mention.is_hidden = False
        mention.save(update_fields=["is_hidden"])
        audit_record(actor=actor, verb="mention.unhide", target=mention, data={"reason": mention.hidden_reason})
        _publish_changed(mention, "unhidden")
    return mention


def mention_close(*, mention_id: int, actor: User) -> Mention:
    """Close a mention. Idempotent; audited as "mention.close" with the status it had."""
    _require_console_staff(actor)
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        if mention.status == MentionStatus.CLOSED:
            return mention
        previous = mention.status
        mention.status = MentionStatus.CLOSED
        mention.save(update_fields=["status"])
        audit_record(actor=actor, verb="mention.close", target=mention, data={"from": previous})
        _publish_changed(mention, "closed")
    return mention


def mention_reopen(*, mention_id: int, actor: User) -> Mention:
    """Reopen a closed mention to its assignee, or to the queue. Idempotent; audited as "mention.reopen"."""
    _require_console_staff(actor)
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        if mention.status != MentionStatus.CLOSED:
            return mention
        mention.status = MentionStatus.ASSIGNED if mention.assignee_id else MentionStatus.NEW
        if mention.assignee_id:
            mention.assigned_at = timezone.now()
        mention.save(update_fields=["status", "assigned_at"])
        audit_record(actor=actor, verb="mention.reopen", target=mention, data={"to": mention.status})
        _publish_changed(mention, "reopened")
    return mention


def signature_render(*, template: str, author: User) -> str:
    """The channel's signature with the author's name; braces other than {name} are kept as written."""
    return template.replace("{name}", author.signature_name)[:80]


def reply_queue(*, mention_id: int, author: User, body: str, take_over: bool = False) -> Reply:
    """Queue a signed public reply and send it after commit.

    Only the assignee replies; a colleague must take the mention over explicitly (audited as
    "mention.take_over"). An unassigned mention becomes the replier's. Audited as "mention.reply".
    """
    _require_console_staff(author)
    body = (body or "").strip()
    if not body:
        raise InboxError(_("The reply is empty."))
    if len(body) > 5000:
        raise InboxError(_("The reply is longer than 5,000 characters."))
    with transaction.atomic():
        if take_over:
            mention_take_over(mention_id=mention_id, actor=author)
        mention = _mention_for_update(mention_id)
        if mention.assignee_id and mention.assignee_id != author.pk:
            raise InboxError(_("This mention is assigned to a colleague; take it over to reply."))
        now = timezone.now()
        if mention.assignee_id is None:
            mention.assignee = author
            mention.assigned_at = now
        signature = signature_render(template=mention.channel.signature_template, author=author)
        reply = Reply.objects.create(mention=mention, author=author, body=body, signature=signature)
        if mention.status != MentionStatus.CLOSED:
            mention.status = MentionStatus.REPLIED
        if mention.first_response_at is None:
            mention.first_response_at = now
        mention.save(update_fields=["assignee", "assigned_at", "status", "first_response_at"])
        audit_record(actor=author, verb="mention.reply", target=mention, data={"reply": reply.pk})
        _publish_changed(mention, "replied")
        _enqueue_send(reply.pk)
    return reply


def _enqueue_send(reply_id: int) -> None:
    from inbox.tasks import reply_send as reply_send_task

    transaction.on_commit(lambda: reply_send_task.delay(reply_id))


def reply_retry(*, reply_id: int, actor: User) -> Reply:
    """Send a failed reply again, by hand. Only the mention's assignee may; audited as "reply.retry"."""
    _require_console_staff(actor)
    with transaction.atomic():
        reply = Reply.objects.select_for_update().filter(pk=reply_id).first()
        if reply is None:
            raise MentionNotFound(_("That reply does not exist."))
        mention = _mention_for_update(reply.mention_id)
        if mention.assignee_id != actor.pk:
            raise InboxError(_("Only the mention's assignee may send its replies; take it over first."))
        if reply.state != ReplyState.FAILED:
            return reply
        reply.state = ReplyState.QUEUED
        reply.attempts = 0
        reply.save(update_fields=["state", "attempts"])
        audit_record(actor=actor, verb="reply.retry", target=reply, data={"mention": mention.pk})
        publish_on_commit([INBOX_GROUP], events.reply_changed(reply))
        _enqueue_send(reply.pk)
    return reply


def reply_send(*, reply_id: int) -> Reply | None:
    """Publish a queued reply through the channel's connector; never twice.

    The reply is marked "sending" and committed before the network call, so a redelivered or
    concurrent task finds it "sending" or "sent" and stops. A ConnectorError puts it back to "queued"
    and raises ReplyDeliveryFailed while attempts remain (the task retries with backoff); after
    REPLY_MAX_ATTEMPTS it is "failed" and a person may retry it. Each outcome pushes `reply.changed`.
    """
    with transaction.atomic():
        reply = Reply.objects.select_for_update().select_related("mention__channel").filter(pk=reply_id).first()
        if reply is None or reply.state != ReplyState.QUEUED:
            return reply
        reply.attempts += 1
        reply.state = ReplyState.SENDING
        reply.save(update_fields=["attempts", "state"])
        publish_on_commit([INBOX_GROUP], events.reply_changed(reply))
    error_message = ""
    external_id = ""
    try:
        connector = connector_for(reply.mention.channel)
        external_id = connector.publish_reply(in_reply_to=reply.mention.external_id, text=reply.signed_body)
    except (ConnectorError, ValueError) as error:
        error_message = str(error)[:2000] or type(error).__name__
    with transaction.atomic():
        reply = Reply.objects.select_for_update().get(pk=reply_id)
        if error_message:
            reply.error = error_message
            reply.state = ReplyState.QUEUED if reply.attempts < REPLY_MAX_ATTEMPTS else ReplyState.FAILED
        else:
            reply.state = ReplyState.SENT
            reply.external_id = external_id[:128]
            reply.sent_at = timezone.now()
            reply.error = ""
        reply.save(update_fields=["state", "error", "external_id", "sent_at"])
        audit_record(
            actor=None,
            verb="reply.sent" if reply.state == ReplyState.SENT else "reply.failed",
            target=reply,
            data={"attempt": reply.attempts, "error": reply.error[:200]},
        )
        publish_on_commit([INBOX_GROUP], events.reply_changed(reply))
    if reply.state == ReplyState.QUEUED:
        raise ReplyDeliveryFailed(reply.pk, error_message)
    return reply
