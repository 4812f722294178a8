"""Moderation of a mention: hide and show again, close and reopen; each idempotent and audited."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from inbox.models import Author, Mention, MentionStatus
from inbox.services.common import InboxError, _mention_for_update, _publish_changed, _require_console_staff


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
