"""Intake: what arrives is in PostgreSQL before anyone is told it was received.

A pushed body or a queued batch is kept as an intake row, processed once under a row lock, retried by
a sweeper when its queueing was lost, and pruned after its retention.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, connection, transaction
from django.db.models import F
from django.utils import timezone

from crisisdesk.metrics import queue_depths
from crisisdesk.parsers import JsonDocumentInvalid, json_loads_bounded
from crisisdesk.transactions import commit_asynchronously
from inbox.connectors import connector_for
from inbox.connectors.base import ConnectorError, FetchResult, RejectedItem
from inbox.connectors.normalise import storable_text
from inbox.connectors.webhook import WebhookConnector
from inbox.models import Channel, ChannelKind, Intake
from inbox.services.common import (
    INTAKE_MAX_ATTEMPTS,
    REPLAY_WINDOW,
    IngestReport,
    dead_letters_record,
    logger,
)
from inbox.services.ingest import PreparedBatch, mentions_prepare, mentions_store, prepared_batches_merge
from inbox.services.intake_claims import intakes_claim

if TYPE_CHECKING:
    from celery import Celery
    from kombu import Connection

# The queue `inbox.*` tasks are routed to (crisisdesk/queues.py).
INGEST_QUEUE = "ingest"


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
    encoded: list[str] = []
    unencodable: list[RejectedItem] = []
    for item in items:
        try:
            encoded.append(json.dumps(item, allow_nan=False))
        except (TypeError, ValueError) as error:
            unencodable.append(RejectedItem(reason=f"invalid JSON: {error}", payload=repr(item)))
    body = ("[" + ", ".join(encoded) + "]").encode()  # each item is encoded once, and checked by it
    intake = _intake_create(channel=channel, source=source, body=body, delivery_key=delivery_key, enqueue=False)
    report = intake_process(intake_id=intake.pk)
    if unencodable:
        # Items JSON cannot carry (an infinite number) are dead letters of their own; the rest go on.
        dead_letters_record(channel=channel, source=source, rejected=unencodable)
        if report is not None:
            report.rejected += len(unencodable)
            report.reasons.update(["invalid JSON"] * len(unencodable))
    return report


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
    """Queue after commit, on this thread's broker connection (`_IntakeBroker`)."""
    from inbox.tasks import intake_process as intake_process_task  # why: inbox.tasks imports these services

    def enqueue() -> None:
        broker = _intake_broker.connection(intake_process_task.app)
        try:
            for intake_id in intake_ids:
                intake_process_task.apply_async((intake_id,), retry=False, connection=broker)
        except Exception:  # any broker failure: the rows are safe in PostgreSQL and the sweeper queues them again
            _intake_broker.forget()
            logger.warning(
                "Intake %s kept but not queued (broker unreachable); the sweeper will queue it.",
                ", ".join(map(str, intake_ids)),
                exc_info=True,
            )

    transaction.on_commit(enqueue)


class _IntakeBroker(threading.local):
    """Each thread's broker connection for queueing intakes, kept between deliveries and dropped when it fails.

    A new connection per delivery (TCP, handshake, the queue's declaration) was a tenth of the web's CPU in
    a crisis. It fails at once: kombu's default is to retry for ~6 s, which would hold every webhook answer
    that long while the broker is down, for nothing the sweeper won't do.
    """

    current: Connection | None = None

    def connection(self, app: Celery) -> Connection:
        if self.current is None:
            fresh = app.connection_for_write()
            fresh.transport_options = {**(fresh.transport_options or {}), "max_retries": 0}
            self.current = fresh
        return self.current

    def forget(self) -> None:
        current, self.current = self.current, None
        if current is not None:
            try:
                current.release()
            except Exception:  # a broken connection may fail to close too; it is dropped either way
                logger.debug("Could not close the intake's broker connection", exc_info=True)


_intake_broker = _IntakeBroker()


def intake_process(*, intake_id: int) -> IngestReport | None:
    """Ingest one intake row, once, together with up to `INTAKE_COALESCE_ROWS` - 1 rows of the same
    channel and source still waiting behind it: one transaction, one live event and one set of counter
    updates for all of them (`intakes_claim`).

    Each row is locked (a concurrent or redelivered run skips it) and marked processed in the same
    transaction as its mentions, counters and dead letters. Returns None when the row is already
    processed or being processed elsewhere. A database error is raised for the task to retry; any other
    failure is recorded on the row (attempts, last error) for the sweeper to retry, and after
    `INTAKE_MAX_ATTEMPTS` the body becomes a dead letter.
    """
    try:
        with intakes_claim(intake_id) as claimed:
            if not claimed:
                return None
            parsed = _intakes_parse_unlocked(claimed)
            if intake_id not in parsed:
                return None
            with transaction.atomic():
                # Only the intake rows are locked ("of"): locking the joined channel too made concurrent batches
                # of one channel skip each other's rows, leaving them to the sweeper.
                intakes = list(
                    Intake.objects.select_for_update(
                        no_key=True, skip_locked=connection.features.has_select_for_update_skip_locked, of=("self",)
                    )
                    .select_related("channel")
                    .filter(pk__in=list(parsed), processed_at__isnull=True)
                    .order_by("pk")
                )
                if intake_id not in {intake.pk for intake in intakes}:
                    return None
                commit_asynchronously()
                report = _intakes_ingest(intakes, parsed)
                Intake.objects.filter(pk__in=[intake.pk for intake in intakes]).update(
                    processed_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
                )
                return report
    except (DatabaseError, InterfaceError):
        raise
    except Exception as error:  # a connector's bug must not leave the row looping without a trace
        logger.exception("Intake %s could not be processed", intake_id)
        _intake_failure_record(intake_id=intake_id, message=f"{type(error).__name__}: {error}")
        return None


def _intakes_parse_unlocked(intake_ids: list[int]) -> dict[int, PreparedBatch | str | None]:
    """The claimed rows parsed, and their mentions prepared together, before any row is locked
    (`mentions_prepare`: new authors committed, mentions triaged outside the transaction that writes them).

    The first is the row the task was for. Every row whose body parses maps to the same prepared batch:
    one authors upsert, one vocabulary and one triage call for all of them, where row by row each paid its
    own. A row behind the first whose body cannot be parsed is left out, for its own task to record; a
    refused body maps to its reason, a row already processed to None. The bodies never change once
    written, so preparing first is safe: a row another run took meanwhile is left out under the lock,
    and its mentions, if stored twice, are stored once (the INSERT skips what exists).
    """
    rows = {
        intake.pk: intake
        for intake in Intake.objects.select_related("channel").filter(pk__in=intake_ids, processed_at__isnull=True)
    }
    parsed: dict[int, PreparedBatch | str | None] = {}
    together: list[tuple[Intake, FetchResult]] = []
    for position, pk in enumerate(intake_ids):
        intake = rows.get(pk)
        if intake is None:
            parsed[pk] = None
            continue
        try:
            result = _intake_parse(intake)
        except Exception:
            if position == 0:
                raise
            logger.warning("Intake %s left for its own task: it could not be parsed", pk, exc_info=True)
            continue
        if isinstance(result, str):
            parsed[pk] = result
        else:
            together.append((intake, result))
    if together:
        first = together[0][0]
        batch = mentions_prepare(
            channel=first.channel,
            mentions=[mention for _, result in together for mention in result.mentions],
            rejected=[item for _, result in together for item in result.rejected],
            source=first.source,
        )
        parsed.update((intake.pk, batch) for intake, _ in together)
    return parsed


def _intakes_ingest(intakes: list[Intake], parsed: dict[int, PreparedBatch | str | None]) -> IngestReport:
    """Refused bodies become dead letters row by row; the prepared ones are stored as one batch."""
    report = IngestReport()
    prepared: list[PreparedBatch] = []
    for intake in intakes:
        batch = parsed.get(intake.pk)
        if batch is None or not intake.channel.is_enabled:
            fresh = _intake_parse(intake)
            batch = fresh if isinstance(fresh, str) else _prepared(intake, fresh)
        if isinstance(batch, str):
            report.merge(_intake_ingest(intake, parsed=batch))
        elif not any(batch is seen for seen in prepared):  # the rows prepared together share one batch
            prepared.append(batch)
    if prepared:
        report.merge(mentions_store(prepared_batches_merge(prepared)))
    return report


def _prepared(intake: Intake, parsed: FetchResult) -> PreparedBatch:
    return mentions_prepare(
        channel=intake.channel, mentions=parsed.mentions, rejected=parsed.rejected, source=intake.source
    )


def _intake_parse(intake: Intake) -> FetchResult | str:
    """The body's mentions, or the reason it is refused (a disabled channel, bad JSON, a foreign shape)."""
    channel = intake.channel
    if not channel.is_enabled:
        return "channel_disabled: the channel was disabled before this batch was processed"
    try:
        payload = json_loads_bounded(bytes(intake.body))
    except JsonDocumentInvalid as error:
        return f"invalid JSON: {error}"
    generic = intake.source == "batch" or channel.kind == ChannelKind.WEBHOOK
    parser = _batch_parser() if generic else connector_for(channel)
    try:
        return parser.parse_payload(payload)
    except ConnectorError as error:
        return f"unrecognised payload: {error}"


def _intake_ingest(intake: Intake, *, parsed: PreparedBatch | str | None = None) -> IngestReport:
    channel = intake.channel
    if parsed is None or not channel.is_enabled:
        fresh = _intake_parse(intake)
        parsed = fresh if isinstance(fresh, str) else _prepared(intake, fresh)
    if isinstance(parsed, str):
        body = bytes(intake.body)
        dead_letters_record(channel=channel, source=intake.source, rejected=[RejectedItem(reason=parsed, payload=body)])
        return IngestReport(rejected=1, reasons=Counter([parsed.split(":")[0]]))
    return mentions_store(parsed)


def _intake_failure_record(*, intake_id: int, message: str) -> None:
    with transaction.atomic():
        locked = Intake.objects.select_for_update(no_key=True, of=("self",))
        intake = locked.select_related("channel").filter(pk=intake_id).first()
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

    Rows being processed are locked and skipped; each queued row's clock restarts. A row is late either
    because its message was lost or because it waits behind a backlog; while the ingest queue holds at
    least as many messages as there are late rows, they may all still be waiting, and queueing them
    again only lengthens the backlog (`bench/crisis.py`: 40,055 messages for 8,038 rows, every row
    re-sent each interval). The sweep then waits for the queue to drain. Safe to run twice.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.INTAKE_REQUEUE_SECONDS)
    with transaction.atomic():
        stale = list(
            Intake.objects.select_for_update(
                no_key=True, skip_locked=connection.features.has_select_for_update_skip_locked
            )
            .filter(processed_at__isnull=True, queued_at__lte=cutoff)
            .order_by("queued_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if stale and _ingest_backlog() >= len(stale):
            logger.info("%s intake rows are late behind a backlog of the ingest queue; not queued again.", len(stale))
            return 0
        if stale:
            Intake.objects.filter(pk__in=stale).update(queued_at=now)
            _intakes_enqueue_on_commit(stale)
    if stale:
        logger.warning("Queued %s intake rows again that were not processed in time.", len(stale))
    return len(stale)


def _ingest_backlog() -> int:
    """Messages waiting in the ingest queue; 0 when the broker cannot say (then late rows are queued again)."""
    try:
        return queue_depths().get(INGEST_QUEUE, 0)
    except Exception:  # the broker is what may have lost the messages: requeue rather than wait on it
        logger.warning("Could not read the ingest queue's depth; late intake rows are queued again.", exc_info=True)
        return 0


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
    return WebhookConnector()
