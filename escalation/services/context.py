"""What a request carries so the department can answer without opening the console.

A copy, taken when the request is raised: the thread, the author and their recent history, the
triage labels and the crisis. Later edits to the mentions do not change what was asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from inbox.models import Author, Mention

if TYPE_CHECKING:
    from playbooks.models import Crisis

CONTEXT_THREAD_LIMIT = 20
CONTEXT_HISTORY_LIMIT = 5


def _author_context(author: Author) -> dict[str, Any]:
    history = (
        Mention.objects.filter(author=author)
        .order_by("-received_at", "-id")
        .values("id", "text", "category", "sentiment", "status", "received_at")[:CONTEXT_HISTORY_LIMIT]
    )
    return {
        "id": author.pk,
        "handle": author.handle,
        "display_name": author.display_name,
        "platform": author.platform,
        "followers": author.followers,
        "verified": author.verified,
        "mention_count": author.mention_count,
        "complaint_count": author.complaint_count,
        "hidden_as_troll_count": author.hidden_as_troll_count,
        "recent": [{**row, "received_at": row["received_at"].isoformat()} for row in history],
    }


def thread_first_mentions(mention: Mention) -> QuerySet[Mention]:
    """The first CONTEXT_THREAD_LIMIT mentions of the mention's conversation, oldest first, read in the order of
    the `mention_thread` index (none for a mention outside a conversation)."""
    return (
        Mention.objects.filter(channel_id=mention.channel_id, conversation_id=mention.conversation_id)
        .exclude(conversation_id="")
        .select_related("author")
        .order_by("posted_at", "id")[:CONTEXT_THREAD_LIMIT]
    )


def _thread_context(mention: Mention) -> list[dict[str, Any]]:
    """The conversation the mention belongs to, oldest first (none for a mention outside one)."""
    thread = thread_first_mentions(mention)
    return [
        {"id": item.pk, "author": item.author.handle, "text": item.text, "posted_at": item.posted_at.isoformat()}
        for item in thread
    ]


def _mention_context(mention: Mention) -> dict[str, Any]:
    return {
        "id": mention.pk,
        "channel": mention.channel.name,
        "channel_kind": mention.channel.kind,
        "url": mention.url,
        "text": mention.text,
        "posted_at": mention.posted_at.isoformat(),
        "sentiment": mention.sentiment,
        "category": mention.category,
        "priority": mention.priority,
        "author": _author_context(mention.author),
        "thread": _thread_context(mention),
    }


def _crisis_context(crisis: Crisis | None) -> dict[str, Any] | None:
    if crisis is None:
        return None
    return {
        "id": crisis.pk,
        "title": crisis.title,
        "level": crisis.level,
        "status": crisis.status,
        "type": crisis.crisis_type,
    }


def escalation_context(*, mentions: Sequence[Mention], crisis: Crisis | None) -> dict[str, Any]:
    """What the department needs to answer without opening the console: thread, author, triage, crisis."""
    return {"mentions": [_mention_context(mention) for mention in mentions], "crisis": _crisis_context(crisis)}
