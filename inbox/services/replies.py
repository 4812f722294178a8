"""Public replies: signed, checked against the network's limit, held for an undo window, sent once, retried."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from inbox.connectors import connector_for
from inbox.connectors.base import ConnectorError
from inbox.models import ChannelKind, Mention, MentionStatus, Reply, ReplyState
from inbox.reply_length import reply_byte_limit, reply_bytes, reply_length, reply_limit
from inbox.services.approval_gate import (
    ApprovalNeed,
    reply_approval_need,
    reply_approval_open,
    reply_approval_withdrawn,
)
from inbox.services.assignment import mention_take_over
from inbox.services.common import (
    REPLY_MAX_ATTEMPTS,
    InboxError,
    MentionNotFound,
    ReplyDeliveryFailed,
    _mention_for_update,
    _publish_changed,
    _publish_reply_changed,
    _require_console_staff,
)
from inbox.stats import response_stat_add

MAX_BODY = 20000  # far above every network's limit: the networks' own limits refuse long before
SWEEP_GRACE = timedelta(seconds=30)
SWEEP_LIMIT = 200
# A mention with only such replies is still unanswered: nothing of it reached, or is on its way to, the network.
UNANSWERED_STATES = (
    ReplyState.CANCELLED,
    ReplyState.PENDING_APPROVAL,
    ReplyState.REJECTED,
    ReplyState.APPROVAL_EXPIRED,
)


def signature_render(*, template: str, author: User) -> str:
    """The channel's signature with the author's name; braces other than {name} are kept as written."""
    return template.replace("{name}", author.signature_name)[:80]


def reply_undo_window() -> timedelta:
    """How long a queued reply waits before it is sent, during which its author may undo it."""
    return timedelta(seconds=getattr(settings, "REPLY_UNDO_SECONDS", 10))


def _network_name(kind: str) -> str:
    return str(dict(ChannelKind.choices).get(kind, kind))


def reply_refusal(*, mention: Mention, signed_body: str) -> str:
    """Why this signed reply may not go to this mention ("" when it may): the channel cannot reply, the
    mention is hidden as a troll (until someone chooses to answer anyway), or the network's limit."""
    kind = mention.channel.kind
    limit = reply_limit(kind=kind)
    if not limit:
        return _("%(network)s does not take replies from Crisis Desk: answer on the network itself.") % {
            "network": _network_name(kind)
        }
    if mention.is_hidden and mention.hidden_as_troll and not mention.troll_reply_override:
        return _("This mention is hidden as a troll: do not feed it. Choose “Reply anyway” to answer it.")
    length = reply_length(text=signed_body, kind=kind)
    if length > limit:
        return _(
            "The reply is %(length)d characters long with the signature; %(network)s takes at most "
            "%(limit)d. Shorten it by %(over)d."
        ) % {"length": length, "network": _network_name(kind), "limit": limit, "over": length - limit}
    byte_limit, size = reply_byte_limit(kind=kind), reply_bytes(text=signed_body)
    if byte_limit and size > byte_limit:
        return _(
            "The reply is %(size)d bytes long with the signature; %(network)s takes at most %(limit)d bytes "
            "(emoji and accented letters take several). Shorten it."
        ) % {"size": size, "network": _network_name(kind), "limit": byte_limit}
    return ""


def reply_queue(
    *, mention_id: int, author: User, body: str, take_over: bool = False, undo_window: bool = True
) -> Reply:
    """Queue a signed public reply, sent once the undo window has passed (at once with `undo_window=False`,
    for a reply confirmed elsewhere, such as each author's reply to a cluster answer).

    Nothing is ever cut: a reply over the network's limit (signature included, counted as the network
    counts) is refused with its length, as is a reply where the channel cannot reply. Only the assignee
    replies; a colleague must take the mention over explicitly (audited as "mention.take_over"). An
    unassigned mention becomes the replier's. Audited as "mention.reply".
    """
    _require_console_staff(author)
    body = (body or "").strip()
    if not body:
        raise InboxError(_("The reply is empty."))
    if len(body) > MAX_BODY:
        raise InboxError(_("The reply is far longer than any network takes."))
    with transaction.atomic():
        if take_over:
            mention_take_over(mention_id=mention_id, actor=author)
        mention = _mention_for_update(mention_id)
        if mention.assignee_id and mention.assignee_id != author.pk:
            raise InboxError(_("This mention is assigned to a colleague; take it over to reply."))
        signature = signature_render(template=mention.channel.signature_template, author=author)
        refusal = reply_refusal(mention=mention, signed_body=f"{body}\n{signature}" if signature else body)
        if refusal:
            raise InboxError(refusal)
        now = timezone.now()
        if mention.assignee_id is None:
            mention.assignee = author
            mention.assigned_at = now
        need = reply_approval_need(mention=mention, author=author, body=body)
        if need is not None:
            return _reply_hold(mention=mention, author=author, body=body, signature=signature, need=need)
        send_after = now + reply_undo_window() if undo_window else now
        reply = Reply.objects.create(
            mention=mention, author=author, body=body, signature=signature, send_after=send_after
        )
        mention_mark_answered(mention=mention, now=now)
        audit_record(actor=author, verb="mention.reply", target=mention, data={"reply": reply.pk})
        _publish_changed(mention, "replied")
        _publish_reply_changed(reply)
        _enqueue_send(reply.pk, eta=reply.send_after if undo_window else None)
    return reply


def mention_mark_answered(*, mention: Mention, now: datetime) -> None:
    """A reply is on its way: the mention is replied (unless closed) and its first response is now,
    counted in the dashboard's response histogram."""
    if mention.status != MentionStatus.CLOSED:
        mention.status = MentionStatus.REPLIED
    first = mention.first_response_at is None
    if first:
        mention.first_response_at = now
    mention.save(update_fields=["assignee", "assigned_at", "status", "first_response_at"])
    if first:
        response_stat_add(mention=mention, delta=1)


def _reply_hold(*, mention: Mention, author: User, body: str, signature: str, need: ApprovalNeed) -> Reply:
    """The reply waits for an approver: nothing is enqueued, and the mention stays unanswered (its response
    clock runs) though it becomes the author's. Audited as "mention.reply" with the approval request."""
    reply = Reply.objects.create(
        mention=mention, author=author, body=body, signature=signature, state=ReplyState.PENDING_APPROVAL
    )
    mention.save(update_fields=["assignee", "assigned_at"])
    audit_record(actor=author, verb="mention.reply", target=mention, data={"reply": reply.pk, "held": True})
    reply_approval_open(reply=reply, need=need)
    _publish_changed(mention, "reply_held")
    _publish_reply_changed(reply)
    return reply


def _enqueue_send(reply_id: int, *, eta: datetime | None = None) -> None:
    from inbox.tasks import reply_send as reply_send_task  # why: inbox.tasks imports these services

    transaction.on_commit(lambda: reply_send_task.apply_async((reply_id,), eta=eta))


def reply_cancel(*, reply_id: int, actor: User) -> Reply:
    """Undo a queued reply within its window, or withdraw one waiting for approval (its request is then
    "withdrawn" and the approvers are told); audited as "reply.cancel". Idempotent once cancelled.

    The state moves with one conditional UPDATE (queued, never attempted, window still open, by its
    author), so a send that has already claimed the reply wins and the undo is refused, never both.
    The mention's first response is taken back when no other reply remains.
    """
    _require_console_staff(actor)
    now = timezone.now()
    with transaction.atomic():
        undoable = Q(state=ReplyState.QUEUED, attempts=0, send_after__gt=now) | Q(state=ReplyState.PENDING_APPROVAL)
        claimed = Reply.objects.filter(undoable, pk=reply_id, author=actor).update(
            state=ReplyState.CANCELLED, cancelled_at=now
        )
        reply = Reply.objects.select_related("mention").filter(pk=reply_id).first()
        if reply is None:
            raise MentionNotFound(_("That reply does not exist."))
        if not claimed:
            if reply.state == ReplyState.CANCELLED:
                return reply
            if reply.author_id != actor.pk:
                raise InboxError(_("Only whoever wrote a reply may undo it."))
            if reply.state == ReplyState.QUEUED and not reply.attempts:
                raise InboxError(_("Too late to undo: the undo window has closed and the reply is on its way."))
            raise InboxError(_("Too late to undo: the reply is already being sent."))
        mention = _mention_for_update(reply.mention_id)
        reply_approval_withdrawn(reply=reply, actor=actor)
        if not mention.replies.exclude(state__in=UNANSWERED_STATES).exists():
            response_stat_add(mention=mention, delta=-1)
            mention.first_response_at = None
            if mention.status == MentionStatus.REPLIED:
                mention.status = MentionStatus.ASSIGNED if mention.assignee_id else MentionStatus.NEW
            mention.save(update_fields=["first_response_at", "status"])
        audit_record(actor=actor, verb="reply.cancel", target=reply, data={"mention": mention.pk})
        _publish_reply_changed(reply)
        _publish_changed(mention, "reply_cancelled")
    return reply


def reply_retry(*, reply_id: int, actor: User) -> Reply:
    """Send a failed reply again, by hand. Only the mention's assignee may; audited as "reply.retry"."""
    _require_console_staff(actor)
    with transaction.atomic():
        reply = Reply.objects.select_for_update(no_key=True).filter(pk=reply_id).first()
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
        _publish_reply_changed(reply)
        _enqueue_send(reply.pk)
    return reply


def reply_send(*, reply_id: int) -> Reply | None:
    """Publish a queued reply through the channel's connector; never twice, never early, never once undone.

    Only a reply still "queued" whose undo window has passed is claimed (one conditional UPDATE, the
    same row `reply_cancel` races for); anything else — cancelled, sent, not yet due — is returned
    untouched. The reply is marked "sending" and committed before the network call, so a redelivered or
    concurrent task finds it "sending" or "sent" and stops. A ConnectorError puts it back to "queued"
    and raises ReplyDeliveryFailed while attempts remain (the task retries with backoff); after
    REPLY_MAX_ATTEMPTS it is "failed" and a person may retry it. Each outcome pushes `reply.changed`.
    """
    with transaction.atomic():
        claimed = (
            Reply.objects.filter(pk=reply_id, state=ReplyState.QUEUED)
            .filter(Q(send_after__isnull=True) | Q(send_after__lte=timezone.now()))
            .update(state=ReplyState.SENDING, attempts=F("attempts") + 1)
        )
        reply = Reply.objects.select_related("mention__channel", "mention__author").filter(pk=reply_id).first()
        if reply is None or not claimed:
            return reply
        _publish_reply_changed(reply)
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
        reply = Reply.objects.select_for_update(no_key=True).get(pk=reply_id)
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
        _publish_reply_changed(reply)
    if reply.state == ReplyState.QUEUED:
        raise ReplyDeliveryFailed(reply.pk, error_message)
    return reply


def reply_send_later(*, reply: Reply | None) -> datetime | None:
    """When a reply that was looked at too early is due: its send time if it is still queued and waiting."""
    if reply is None or reply.state != ReplyState.QUEUED or reply.send_after is None:
        return None
    return reply.send_after if reply.send_after > timezone.now() else None


def replies_send_due(*, grace: timedelta = SWEEP_GRACE) -> int:
    """Queue again the replies whose delayed message was lost (a broker restart): queued, never tried,
    due for longer than `grace`. A reply also on its way is claimed once, so this never sends twice."""
    reply_ids = list(
        Reply.objects.filter(state=ReplyState.QUEUED, attempts=0, send_after__lte=timezone.now() - grace)
        .order_by("send_after")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    for reply_id in reply_ids:
        _enqueue_send(reply_id)
    return len(reply_ids)
