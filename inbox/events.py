"""The inbox's live payloads: each has a "type" and a "version" (through `crisisdesk.realtime.event`).

Browsers write every value with textContent; nothing here is ever trusted as markup.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from crisisdesk.realtime import event
from crisisdesk.text import user_display_name as person_name  # the one display-name helper
from inbox.models import Mention, Reply, ReplyApproval

PresenceState = Literal["joined", "viewing", "typing", "left"]


class PresenceUser(TypedDict):
    id: int
    name: str


def mention_changed(mention: Mention, *, change: str) -> dict[str, Any]:
    return event("mention.changed", change=change, **_mention_state(mention))


def mentions_changed(mentions: list[Mention], *, change: str) -> dict[str, Any]:
    """The same change to many mentions; the console's script hands each on as a `mention.changed`."""
    return event("mentions.changed", change=change, mentions=[_mention_state(mention) for mention in mentions])


def _mention_state(mention: Mention) -> dict[str, Any]:
    return {
        "id": mention.pk,
        "status": mention.status,
        "assignee_id": mention.assignee_id,
        "assignee": person_name(mention.assignee) if mention.assignee_id else "",
        "is_hidden": mention.is_hidden,
        "network_hidden_state": mention.network_hidden_state,
    }


def mention_returned(mention: Mention, *, previous_assignee_id: int, previous_assignee: str) -> dict[str, Any]:
    return event(
        "mention.returned",
        id=mention.pk,
        previous_assignee_id=previous_assignee_id,
        previous_assignee=previous_assignee,
        priority=mention.priority,
    )


def reply_changed(reply: Reply) -> dict[str, Any]:
    return event(
        "reply.changed",
        id=reply.pk,
        mention_id=reply.mention_id,
        state=reply.state,
        attempts=reply.attempts,
        error=reply.error,
        send_after=reply.send_after.isoformat() if reply.send_after else "",
    )


def presence_changed(*, mention_id: int, user: PresenceUser, state: PresenceState) -> dict[str, Any]:
    return event("presence.changed", mention_id=mention_id, user=user, state=state)


def reply_approval(reply: Reply, approval: ReplyApproval, *, change: str) -> dict[str, Any]:
    """To the reply's author and its possible approvers: a reply waits ("requested"), or was decided
    ("approved", "edited", "rejected", "expired", "withdrawn")."""
    return event(
        "reply.approval",
        id=reply.pk,
        mention_id=reply.mention_id,
        change=change,
        state=reply.state,
        author_id=reply.author_id,
        author=person_name(reply.author),
        decided_by=person_name(approval.decided_by) if approval.decided_by_id else "",
        comment=approval.comment[:300],
        reasons=[str(reason.get("code", "")) for reason in approval.reasons],
    )
