"""Public replies: signed, queued after commit, sent once through the channel's connector, retried."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from crisisdesk.realtime import INBOX_GROUP, publish_on_commit
from inbox import events
from inbox.connectors import connector_for
from inbox.connectors.base import ConnectorError
from inbox.models import MentionStatus, Reply, ReplyState
from inbox.services.assignment import mention_take_over
from inbox.services.common import (
    REPLY_MAX_ATTEMPTS,
    InboxError,
    MentionNotFound,
    ReplyDeliveryFailed,
    _mention_for_update,
    _publish_changed,
    _require_console_staff,
)


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
    from inbox.tasks import reply_send as reply_send_task  # why: inbox.tasks imports these services

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
        reply = Reply.objects.select_for_update().select_related("mention__channel", "mention__author").filter(pk=reply_id).first()
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
        external_id = connector.publish_reply(
            in_reply_to=reply.mention.external_id,
            text=reply.signed_body,
            context=connector.reply_context(raw=reply.mention.raw or {}, author_handle=reply.mention.author.handle),
        )
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
