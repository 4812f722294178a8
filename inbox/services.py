"""Writes for the inbox: the ingestion pipeline, channel polling, and what community managers do.

Ingestion works on batches: one bulk upsert of authors, one INSERT … ON CONFLICT DO NOTHING of
mentions, one upsert of the minute counters, one live event per batch. The same mention twice is
stored once, and a batch that fails leaves the channel's cursor where it was.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from crisisdesk.audit import audit_record
from crisisdesk.models import Role, User
from crisisdesk.realtime import INBOX_GROUP, event, publish_on_commit
from inbox.connectors import connector_for
from inbox.connectors.base import ConnectorError, NormalizedMention, RateLimited, RejectedItem
from inbox.models import (
    Author,
    Channel,
    DeadLetter,
    PUSH_ONLY_KINDS,
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


class InboxError(Exception):
    """A community manager's action that cannot be done; the message says why."""


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
                reason=item.reason[:2000],
                payload=_payload_text(item.payload),
            )
            for item in rejected
        ]
    )


def _payload_text(payload: Any) -> str:
    if isinstance(payload, (bytes, bytearray)):
        return payload.decode("utf-8", errors="replace")[:100_000]
    if isinstance(payload, str):
        return payload[:100_000]
    try:
        return json.dumps(payload, ensure_ascii=False, default=str)[:100_000]
    except (TypeError, ValueError):
        return repr(payload)[:100_000]


def mentions_ingest(
    *,
    channel: Channel,
    mentions: list[NormalizedMention],
    rejected: list[RejectedItem] | None = None,
    source: str = "poll",
) -> IngestReport:
    """Store a batch idempotently and emit `mention.new` once for what was really new.

    Runs in one transaction: authors, mentions, counters and dead letters are all written or none.
    """
    report = IngestReport()
    rejected = list(rejected or [])
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
        rows = _mention_rows(channel=channel, items=list(unique.values()), authors=authors)
        inserted = _mentions_insert(rows)
        report.created = len(inserted)
        report.duplicates += len(unique) - len(inserted)
        report.created_ids = [mention_id for mention_id, _ in inserted]
        if inserted:
            new_rows = [rows[external_id] for _, external_id in inserted]
            _author_history_update(new_rows)
            from inbox.stats import minute_stats_record

            minute_stats_record(channel=channel, rows=new_rows)
            _publish_new(channel=channel, inserted=inserted, rows=rows)
    return report


def _platform(channel: Channel) -> str:
    return channel.kind


def _authors_upsert(*, platform: str, items: list[NormalizedMention]) -> dict[str, Author]:
    by_id: dict[str, Author] = {}
    for item in items:
        author = item.author
        by_id[author.external_id] = Author(
            platform=platform,
            external_id=author.external_id,
            handle=author.handle[:128],
            display_name=author.display_name[:200],
            followers=max(0, int(author.followers or 0)),
            verified=bool(author.verified),
            account_created_at=author.account_created_at,
        )
    stored = Author.objects.bulk_create(
        sorted(by_id.values(), key=lambda author: author.external_id),
        update_conflicts=True,
        unique_fields=["platform", "external_id"],
        update_fields=["handle", "display_name", "followers", "verified"],
    )
    result = {author.external_id: author for author in stored}
    missing = [external_id for external_id, author in result.items() if author.pk is None]
    if missing:
        for author in Author.objects.filter(platform=platform, external_id__in=missing):
            result[author.external_id] = author
    return result


def _mention_rows(
    *, channel: Channel, items: list[NormalizedMention], authors: dict[str, Author]
) -> dict[str, dict[str, Any]]:
    now = timezone.now()
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
            "url": item.url[:500],
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
            "status": MentionStatus.NEW,
            "is_hidden": False,
            "hidden_reason": "",
            "_topics": triage.topics,
            "_followers": author.followers,
        }
    return rows


def _mentions_insert(rows: dict[str, dict[str, Any]]) -> list[tuple[int, str]]:
    """INSERT … ON CONFLICT (channel, external_id) DO NOTHING RETURNING id, external_id."""
    fields = [field for field in Mention._meta.concrete_fields if field.column != "id"]
    fields = [field for field in fields if field.attname in next(iter(rows.values()))]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table = connection.ops.quote_name(Mention._meta.db_table)
    inserted: list[tuple[int, str]] = []
    batch_size = max(1, 30_000 // len(fields)) if connection.vendor == "sqlite" else 1000
    values = list(rows.values())
    with connection.cursor() as cursor:
        for start in range(0, len(values), batch_size):
            chunk = values[start : start + batch_size]
            params: list[Any] = []
            for row in chunk:
                for field in fields:
                    params.append(field.get_db_prep_save(row[field.attname], connection))
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(chunk))} "
                f"ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING id, external_id"
            )
            cursor.execute(sql, params)
            inserted += [(int(row[0]), row[1]) for row in cursor.fetchall()]
    return inserted


def _author_history_update(rows: list[dict[str, Any]]) -> None:
    mentions = Counter(row["author_id"] for row in rows)
    complaints = Counter(row["author_id"] for row in rows if row["category"] == "complaint")
    by_count: dict[tuple[int, int], list[int]] = {}
    for author_id, count in mentions.items():
        by_count.setdefault((count, complaints.get(author_id, 0)), []).append(author_id)
    for (count, complaint_count), author_ids in by_count.items():
        Author.objects.filter(pk__in=author_ids).update(
            mention_count=F("mention_count") + count, complaint_count=F("complaint_count") + complaint_count
        )


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
        channel.save(update_fields=["consecutive_failures", "last_error", "last_error_at", "last_polled_at", "next_poll_at"])
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


def _mention_for_update(mention_id: int) -> Mention:
    try:
        return Mention.objects.select_for_update().select_related("channel").get(pk=mention_id)
    except Mention.DoesNotExist as error:
        raise InboxError("That mention does not exist.") from error


def _publish_changed(mention: Mention, change: str) -> None:
    publish_on_commit(
        [INBOX_GROUP],
        event(
            "mention.changed",
            id=mention.pk,
            change=change,
            status=mention.status,
            assignee=mention.assignee.get_full_name() or mention.assignee.username if mention.assignee else "",
            is_hidden=mention.is_hidden,
        ),
    )


def mention_assign(*, mention_id: int, assignee: User | None, actor: User) -> Mention:
    """Assign (or unassign with None) a mention; audited and pushed live."""
    if assignee is not None and assignee.role != Role.COMMUNITY_MANAGER:
        raise InboxError("Mentions can only be assigned to community managers.")
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        mention.assignee = assignee
        mention.assigned_at = timezone.now() if assignee else None
        if mention.status in (MentionStatus.NEW, MentionStatus.ASSIGNED):
            mention.status = MentionStatus.ASSIGNED if assignee else MentionStatus.NEW
        mention.save(update_fields=["assignee", "assigned_at", "status"])
        audit_record(
            actor=actor, verb="mention.assign", target=mention, data={"assignee": assignee.pk if assignee else None}
        )
        _publish_changed(mention, "assigned")
    return mention


def mention_hide(*, mention_id: int, actor: User, reason: str, as_troll: bool = False) -> Mention:
    """Hide, never delete. Hiding as a troll feeds the author's history."""
    reason = (reason or "").strip()
    if not reason:
        raise InboxError("Say why the mention is hidden.")
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
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        if not mention.is_hidden:
            return mention
        mention.is_hidden = False
        mention.save(update_fields=["is_hidden"])
        audit_record(actor=actor, verb="mention.unhide", target=mention)
        _publish_changed(mention, "unhidden")
    return mention


def mention_close(*, mention_id: int, actor: User) -> Mention:
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
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        if mention.status != MentionStatus.CLOSED:
            return mention
        mention.status = MentionStatus.ASSIGNED if mention.assignee_id else MentionStatus.NEW
        mention.save(update_fields=["status"])
        audit_record(actor=actor, verb="mention.reopen", target=mention)
        _publish_changed(mention, "reopened")
    return mention


def reply_queue(*, mention_id: int, author: User, body: str, take_over: bool = False) -> Reply:
    """Queue a signed public reply; only the assignee sends, unless they take the mention over (audited)."""
    body = (body or "").strip()
    if not body:
        raise InboxError("The reply is empty.")
    if len(body) > 5000:
        raise InboxError("The reply is longer than 5,000 characters.")
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        if mention.assignee_id and mention.assignee_id != author.pk:
            if not take_over:
                raise InboxError("This mention is assigned to a colleague; take it over to reply.")
            audit_record(
                actor=author, verb="mention.take_over", target=mention, data={"from": mention.assignee_id}
            )
        if mention.assignee_id != author.pk:
            mention.assignee = author
            mention.assigned_at = timezone.now()
        signature = mention.channel.signature_template.format(name=author.signature_name)
        reply = Reply.objects.create(mention=mention, author=author, body=body, signature=signature)
        mention.status = MentionStatus.REPLIED
        if mention.first_response_at is None:
            mention.first_response_at = timezone.now()
        mention.save(update_fields=["assignee", "assigned_at", "status", "first_response_at"])
        audit_record(actor=author, verb="mention.reply", target=mention, data={"reply": reply.pk})
        _publish_changed(mention, "replied")
        from inbox.tasks import reply_send

        transaction.on_commit(lambda: reply_send.delay(reply.pk))
    return reply


def reply_send(*, reply_id: int) -> Reply | None:
    """Publish a queued reply through the channel's connector. Idempotent: a sent reply is not resent."""
    with transaction.atomic():
        reply = Reply.objects.select_for_update().select_related("mention__channel").filter(pk=reply_id).first()
        if reply is None or reply.state == ReplyState.SENT:
            return reply
        reply.attempts += 1
        try:
            connector = connector_for(reply.mention.channel)
            reply.external_id = connector.publish_reply(
                in_reply_to=reply.mention.external_id, text=reply.signed_body
            )
            reply.state = ReplyState.SENT
            reply.sent_at = timezone.now()
            reply.error = ""
        except (ConnectorError, ValueError) as error:
            reply.state = ReplyState.FAILED
            reply.error = str(error)[:2000]
        reply.save(update_fields=["attempts", "external_id", "state", "sent_at", "error"])
        publish_on_commit(
            [INBOX_GROUP],
            event("reply.changed", id=reply.pk, mention_id=reply.mention_id, state=reply.state, error=reply.error),
        )
    return reply
