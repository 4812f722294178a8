"""What every part of the inbox's writes shares: the errors, the limits, the report of an ingest, and
the few helpers a community manager's action starts with (lock the mention, check the role, push the change)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from crisisdesk.models import Role, User
from crisisdesk.realtime import INBOX_GROUP, group_for_mention, publish_on_commit
from crisisdesk.roles import user_role
from inbox import events
from inbox.connectors.base import RejectedItem
from inbox.connectors.normalise import storable_text
from inbox.models import Channel, DeadLetter, Mention, Reply

# One logger for the whole package, under the name the services always logged with.
logger = logging.getLogger("inbox.services")

MAX_BACKOFF_SECONDS = 3600
# A `mention.new` carries every new id but the summaries of only this many, the most urgent: at 500
# mentions a second each event went to every console with 20 kB of rows its script never read.
LIVE_EVENT_MENTIONS = 10
CLAIM_LEASE = timedelta(minutes=5)
REPLAY_WINDOW = timedelta(hours=24)
INTAKE_MAX_ATTEMPTS = 5
REPLY_MAX_ATTEMPTS = 5


class InboxError(Exception):
    """A community manager's action that cannot be done; the message says why."""


class MentionNotFound(InboxError):
    """The mention (or reply) acted on does not exist; pages and the API answer 404."""


class ReplyDeliveryFailed(Exception):
    """A reply could not be published this time and has attempts left: the task retries it with backoff."""

    def __init__(self, reply_id: int, message: str):
        super().__init__(message)
        self.reply_id = reply_id


@dataclass
class IngestReport:
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    own: int = 0  # the brand's own posts and replies, recognised and not stored as mentions
    created_ids: list[int] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)

    def merge(self, other: IngestReport) -> None:
        self.created += other.created
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.own += other.own
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


def assign_cap() -> int:
    return int(getattr(settings, "INBOX_ASSIGN_CAP", 25))


def return_after() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "INBOX_RETURN_MINUTES", 15)))


def _mention_for_update(mention_id: int) -> Mention:
    try:
        locked = Mention.objects.select_for_update(no_key=True, of=("self",))
        return locked.select_related("channel", "assignee").get(pk=mention_id)
    except Mention.DoesNotExist as error:
        raise MentionNotFound(_("That mention does not exist.")) from error


def _publish_reply_changed(reply: Reply) -> None:
    """A reply's delivery state, to the consoles that have its mention open: only the mention's page shows
    it, and in a crisis every inbox console got each reply's three or four states."""
    publish_on_commit([group_for_mention(reply.mention_id)], events.reply_changed(reply))


def _publish_changed(mention: Mention, change: str) -> None:
    _publish_changed_many([mention], change)


def _publish_changed_many(mentions: list[Mention], change: str) -> None:
    """One live event for one change to many mentions (`mentions.changed`; a single one stays a
    `mention.changed`): the auto-assigner's 50 a run were 50 deliveries to every console."""
    if len(mentions) == 1:
        publish_on_commit([INBOX_GROUP], events.mention_changed(mentions[0], change=change))
    elif mentions:
        publish_on_commit([INBOX_GROUP], events.mentions_changed(mentions, change=change))


def _require_console_staff(actor: User) -> None:
    if user_role(actor) not in (Role.COMMUNITY_MANAGER, Role.ADMIN):
        raise InboxError(_("Only community managers may act on mentions."))
