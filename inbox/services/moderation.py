"""Moderation of a mention: hide and show again (in the console and on the network), close and reopen;
each idempotent and audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from inbox.connectors import capabilities_for, connector_for
from inbox.connectors.base import ConnectorError
from inbox.models import Author, Mention, MentionStatus, NetworkHiddenState
from inbox.services.common import InboxError, _mention_for_update, _publish_changed, _require_console_staff

HIDE_FIELDS = [
    "is_hidden",
    "hidden_as_troll",
    "troll_reply_override",
    "network_hidden_state",
    "network_hidden_error",
    "network_hidden_changed_at",
]
# A hide still pending or syncing this long lost its task or its worker; the sweeper does it again.
NETWORK_HIDE_STALE = timedelta(minutes=2)
NETWORK_HIDE_SWEEP_LIMIT = 200


def _network_state_for(mention: Mention) -> str:
    return NetworkHiddenState.PENDING if capabilities_for(mention.channel.kind).hide else NetworkHiddenState.UNSUPPORTED


def _enqueue_network_hide(mention: Mention) -> None:
    """After commit, have the network itself hide (or show) the comment, where the network can."""
    if mention.network_hidden_state != NetworkHiddenState.PENDING:
        return
    from inbox.tasks import mention_network_hide  # why: inbox.tasks imports these services

    mention_id = mention.pk
    transaction.on_commit(lambda: mention_network_hide.delay(mention_id))


def mention_hide(*, mention_id: int, actor: User, reason: str, as_troll: bool = False) -> Mention:
    """Hide, never delete: out of the queue and off the response clock at once, then hidden on the network
    after commit where its connector can (`network_hidden_state` pending, else "unsupported": hidden in
    Crisis Desk only). Hiding as a troll feeds the author's history and takes the reply box away.
    Idempotent; audited as "mention.hide"."""
    _require_console_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InboxError(_("Say why the mention is hidden."))
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        if mention.is_hidden:
            return mention
        mention.is_hidden = True
        mention.hidden_as_troll = as_troll
        mention.troll_reply_override = False
        mention.hidden_reason = reason[:200]
        mention.hidden_by = actor
        mention.hidden_at = timezone.now()
        mention.network_hidden_state = _network_state_for(mention)
        mention.network_hidden_error = ""
        mention.network_hidden_changed_at = mention.hidden_at
        mention.save(update_fields=[*HIDE_FIELDS, "hidden_reason", "hidden_by", "hidden_at"])
        if as_troll:
            Author.objects.filter(pk=mention.author_id).update(hidden_as_troll_count=F("hidden_as_troll_count") + 1)
        audit_record(actor=actor, verb="mention.hide", target=mention, data={"reason": reason, "as_troll": as_troll})
        _publish_changed(mention, "hidden")
        _enqueue_network_hide(mention)
    return mention


def mention_unhide(*, mention_id: int, actor: User) -> Mention:
    """Show a hidden mention again, in the console and then on the network, symmetric to hiding.
    Idempotent; audited as "mention.unhide"."""
    _require_console_staff(actor)
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        if not mention.is_hidden:
            return mention
        mention.is_hidden = False
        mention.hidden_as_troll = False
        mention.troll_reply_override = False
        mention.network_hidden_state = _network_state_for(mention)
        mention.network_hidden_error = ""
        mention.network_hidden_changed_at = timezone.now()
        mention.save(update_fields=HIDE_FIELDS)
        audit_record(actor=actor, verb="mention.unhide", target=mention, data={"reason": mention.hidden_reason})
        _publish_changed(mention, "unhidden")
        _enqueue_network_hide(mention)
    return mention


def mention_network_hide_sync(*, mention_id: int) -> Mention | None:
    """Make the network match the console: hide or show the comment through the channel's connector.

    Runs only while the state is "pending" and is claimed with one conditional UPDATE, so a redelivered
    task calls the platform once. The outcome ("done", or "failed" with the platform's message) is kept
    on the mention and pushed live; a failure is shown, never retried blindly.
    """
    claimed = Mention.objects.filter(pk=mention_id, network_hidden_state=NetworkHiddenState.PENDING).update(
        network_hidden_state=NetworkHiddenState.SYNCING, network_hidden_changed_at=timezone.now()
    )
    mention = Mention.objects.select_related("channel").filter(pk=mention_id).first()
    if mention is None or not claimed:
        return mention
    error = ""
    try:
        connector_for(mention.channel).hide(external_id=mention.external_id, hidden=mention.is_hidden)
    except (ConnectorError, ValueError) as failure:
        error = str(failure)[:500] or type(failure).__name__
    with transaction.atomic():
        # A hide and an unhide in quick succession: the later one set "pending" again and its own task
        # will write; this outcome is stale and is kept only in the audit trail.
        Mention.objects.filter(pk=mention_id, network_hidden_state=NetworkHiddenState.SYNCING).update(
            network_hidden_state=NetworkHiddenState.FAILED if error else NetworkHiddenState.DONE,
            network_hidden_error=error,
        )
        mention = _mention_for_update(mention_id)
        verb = "mention.network_hide_failed" if error else "mention.network_hide_done"
        audit_record(actor=None, verb=verb, target=mention, data={"hidden": mention.is_hidden, "error": error[:200]})
        _publish_changed(mention, "network_hidden")
    return mention


def mentions_network_hide_sweep(*, now: datetime | None = None) -> int:
    """Finish the hides and unhides a lost task (broker down at commit) or a crashed worker left behind.

    A state pending or syncing for longer than `NETWORK_HIDE_STALE` is done again here, in the beat's
    worker, without the broker: syncing goes back to pending first. Hiding and showing are idempotent on
    every network, so asking again after a crash mid-call is safe. Returns how many were done again.
    """
    stale = (now or timezone.now()) - NETWORK_HIDE_STALE
    open_states = [NetworkHiddenState.PENDING, NetworkHiddenState.SYNCING]
    ids = list(
        Mention.objects.filter(network_hidden_state__in=open_states, network_hidden_changed_at__lt=stale)
        .order_by("network_hidden_changed_at")
        .values_list("pk", flat=True)[:NETWORK_HIDE_SWEEP_LIMIT]
    )
    retried = 0
    for mention_id in ids:
        reset = Mention.objects.filter(
            pk=mention_id, network_hidden_state__in=open_states, network_hidden_changed_at__lt=stale
        ).update(network_hidden_state=NetworkHiddenState.PENDING)
        if reset:
            audit_record(actor=None, verb="mention.network_hide_retried", target=Mention(pk=mention_id), data={})
            mention_network_hide_sync(mention_id=mention_id)
            retried += 1
    return retried


def mention_reply_anyway(*, mention_id: int, actor: User) -> Mention:
    """Give a mention hidden as a troll its reply box back: a deliberate choice, audited as
    "mention.reply_anyway". Idempotent."""
    _require_console_staff(actor)
    with transaction.atomic():
        mention = _mention_for_update(mention_id)
        if not (mention.is_hidden and mention.hidden_as_troll) or mention.troll_reply_override:
            return mention
        mention.troll_reply_override = True
        mention.save(update_fields=["troll_reply_override"])
        audit_record(actor=actor, verb="mention.reply_anyway", target=mention, data={"reason": mention.hidden_reason})
        _publish_changed(mention, "reply_anyway")
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
