"""Scheduled brand posts: written, approved by a second person, published through the channel at their time.

A cheerful post that goes out in the middle of a tragedy turns a small crisis into a big one (#FelizNoche),
so every post needs four eyes, runs the composer's pre-send checks, and is held while publishing is
suspended (`playbooks.services.suspension`); only a person releases it again, one post at a time.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.audit import audit_record
from crisisdesk.celery import app as celery_app
from crisisdesk.locks import transaction_lock
from crisisdesk.models import User
from inbox.connectors import connector_for
from inbox.connectors.base import ConnectorError
from inbox.models import Channel, ScheduledPost, ScheduledPostStatus
from inbox.post_checks import post_refusal
from inbox.post_models import EDITABLE_POST_STATUSES
from playbooks import events
from playbooks.errors import OutboxError, OutboxForbidden, OutboxNotFound
from playbooks.models import PublishingSuspension
from playbooks.services.common import DECLARERS, role_require

logger = logging.getLogger(__name__)

MAX_POST_LENGTH = 5000
PUBLISHERS = DECLARERS
# Enqueued by name: `playbooks.tasks` imports the services, so the services do not import it back.
POST_PUBLISH_TASK = "playbooks.scheduled_post_publish"
# Held by whoever changes what a suspension covers, so a post approved as one starts is held too.
SUSPENSION_LOCK = "publishing-suspension"


def publisher_require(actor: User) -> None:
    role_require(actor, PUBLISHERS, _("Only community managers and directors can schedule posts."))


def post_for_update(post_id: int) -> ScheduledPost:
    locked = ScheduledPost.objects.select_for_update(no_key=True, of=("self",))
    post = locked.select_related("channel").filter(pk=post_id).first()
    if post is None:
        raise OutboxNotFound(_("That scheduled post does not exist."))
    return post


def _body_clean(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise OutboxError(_("The post is empty."))
    if len(body) > MAX_POST_LENGTH:
        raise OutboxError(_("The post is longer than 5,000 characters."))
    return body


def _channel_get(channel_id: int) -> Channel:
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise OutboxNotFound(_("That channel does not exist."))
    return channel


def _refuse_unpostable(channel: Channel, body: str) -> None:
    """The composer's blocking checks: the network takes posts, and this one within its length."""
    refusal = post_refusal(kind=channel.kind, text=body)
    if refusal:
        raise OutboxError(refusal)


def future_time(scheduled_at: datetime | None, now: datetime) -> datetime:
    if scheduled_at is None:
        raise OutboxError(_("Choose when the post goes out."))
    if scheduled_at <= now:
        raise OutboxError(_("Choose a time in the future."))
    return scheduled_at


def _changed(post: ScheduledPost) -> None:
    events.publish_publishing_changed(post_id=post.pk, status=post.status)


def scheduled_post_create(
    *, channel_id: int, body: str, scheduled_at: datetime | None, actor: User, now: datetime | None = None
) -> ScheduledPost:
    """A draft on the calendar; it goes nowhere until someone else approves it. Audited "post.create"."""
    publisher_require(actor)
    body = _body_clean(body)
    channel = _channel_get(channel_id)
    _refuse_unpostable(channel, body)
    scheduled_at = future_time(scheduled_at, now or timezone.now())
    with transaction.atomic():
        post = ScheduledPost.objects.create(
            channel=channel, body=body, scheduled_at=scheduled_at, status=ScheduledPostStatus.DRAFT, created_by=actor
        )
        audit_record(actor=actor, verb="post.create", target=post, data={"channel": channel.pk})
        _changed(post)
    return post


def scheduled_post_edit(
    *,
    post_id: int,
    actor: User,
    body: str | None = None,
    scheduled_at: datetime | None = None,
    channel_id: int | None = None,
    now: datetime | None = None,
) -> ScheduledPost:
    """Change a post not yet out. Any change makes it a draft again: the approver must see the final words."""
    publisher_require(actor)
    now = now or timezone.now()
    with transaction.atomic():
        post = post_for_update(post_id)
        if post.status not in EDITABLE_POST_STATUSES:
            raise OutboxError(_("This post can no longer be changed."))
        if body is not None:
            post.body = _body_clean(body)
        if channel_id is not None:
            post.channel = _channel_get(channel_id)
        if scheduled_at is not None:
            post.scheduled_at = future_time(scheduled_at, now)
        _refuse_unpostable(post.channel, post.body)
        post.status = ScheduledPostStatus.DRAFT
        post.approved_by, post.approved_at, post.submitted_at, post.held_at = None, None, None, None
        post.save()
        audit_record(actor=actor, verb="post.edit", target=post)
        _changed(post)
    return post


def scheduled_post_submit(*, post_id: int, actor: User) -> ScheduledPost:
    """Ask for approval: a draft (or a failed post) waits for a second person. Idempotent while pending."""
    publisher_require(actor)
    with transaction.atomic():
        post = post_for_update(post_id)
        if post.status == ScheduledPostStatus.PENDING:
            return post
        if post.status not in (ScheduledPostStatus.DRAFT, ScheduledPostStatus.FAILED):
            raise OutboxError(_("Only a draft can be sent for approval."))
        _refuse_unpostable(post.channel, post.body)
        post.status = ScheduledPostStatus.PENDING
        post.submitted_at = timezone.now()
        post.save(update_fields=["status", "submitted_at"])
        audit_record(actor=actor, verb="post.submit", target=post)
        _changed(post)
    return post


def scheduled_post_approve(*, post_id: int, actor: User) -> ScheduledPost:
    """Four eyes: someone other than its author approves the post, which is then scheduled — or held at
    once while publishing is suspended. Audited "post.approve"."""
    publisher_require(actor)
    with transaction.atomic():
        transaction_lock(SUSPENSION_LOCK)
        post = post_for_update(post_id)
        if post.created_by_id == actor.pk:
            raise OutboxForbidden(_("You wrote this post, so you cannot approve it: another person must."))
        if post.status != ScheduledPostStatus.PENDING:
            raise OutboxError(_("Only a post waiting for approval can be approved."))
        _refuse_unpostable(post.channel, post.body)
        now = timezone.now()
        held = PublishingSuspension.objects.filter(ended_at__isnull=True).exists()
        post.status = ScheduledPostStatus.FROZEN if held else ScheduledPostStatus.SCHEDULED
        post.approved_by, post.approved_at = actor, now
        post.held_at = now if held else None
        post.save(update_fields=["status", "approved_by", "approved_at", "held_at"])
        audit_record(actor=actor, verb="post.approve", target=post, data={"held": held})
        _changed(post)
    return post


def scheduled_post_cancel(*, post_id: int, actor: User) -> ScheduledPost:
    """Withdraw a post that has not gone out; idempotent once cancelled."""
    publisher_require(actor)
    with transaction.atomic():
        post = post_for_update(post_id)
        if post.status == ScheduledPostStatus.CANCELLED:
            return post
        if post.status not in EDITABLE_POST_STATUSES:
            raise OutboxError(_("This post can no longer be changed."))
        post.status = ScheduledPostStatus.CANCELLED
        post.save(update_fields=["status"])
        audit_record(actor=actor, verb="post.cancel", target=post)
        _changed(post)
    return post


def scheduled_post_publish_enqueue(post_id: int) -> None:
    """After commit, publish this post now (a released post that was overdue, a statement)."""
    transaction.on_commit(lambda: celery_app.signature(POST_PUBLISH_TASK, args=(post_id,)).delay())


def scheduled_post_publish(*, post_id: int, now: datetime | None = None) -> ScheduledPost | None:
    """Publish one due post through its channel, at most once.

    The post is claimed with one conditional UPDATE (scheduled and due → publishing), committed before
    the network call, so two beats or a beat and a task racing for it publish it once; a held, cancelled
    or published post is left alone. The pre-send checks run again (the channel may have changed); the
    platform's id is stored, or the failure with its reason, audited "post.published"/"post.failed".
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = ScheduledPost.objects.filter(
            pk=post_id, status=ScheduledPostStatus.SCHEDULED, scheduled_at__lte=now
        ).update(status=ScheduledPostStatus.PUBLISHING)
        post = ScheduledPost.objects.select_related("channel").filter(pk=post_id).first()
        if post is None or not claimed:
            return post
    error, external_id = post_refusal(kind=post.channel.kind, text=post.body), ""
    if not error:
        try:
            external_id = connector_for(post.channel).publish_post(text=post.body)
        except (ConnectorError, ValueError) as failure:
            error = str(failure) or type(failure).__name__
    with transaction.atomic():
        post = post_for_update(post_id)
        post.status = ScheduledPostStatus.FAILED if error else ScheduledPostStatus.PUBLISHED
        post.error = error[:2000]
        post.external_id = external_id[:128]
        post.published_at = None if error else timezone.now()
        post.save(update_fields=["status", "error", "external_id", "published_at"])
        audit_record(actor=None, verb=f"post.{post.status}", target=post, data={"error": post.error[:200]})
        _changed(post)
    if error:
        logger.warning("Scheduled post %s failed on channel %s: %s", post.pk, post.channel_id, error[:200])
    return post


def scheduled_posts_publish_due(*, now: datetime | None = None) -> list[int]:
    """Publish every scheduled (not held) post whose time has come; returns the published ids."""
    now = now or timezone.now()
    due = list(
        ScheduledPost.objects.filter(status=ScheduledPostStatus.SCHEDULED, scheduled_at__lte=now)
        .order_by("scheduled_at", "pk")
        .values_list("pk", flat=True)[:100]
    )
    published = []
    for post_id in due:
        post = scheduled_post_publish(post_id=post_id, now=now)
        if post is not None and post.status == ScheduledPostStatus.PUBLISHED:
            published.append(post_id)
    return published
