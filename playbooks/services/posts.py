"""Scheduled brand posts: create, publish when due, and freeze them during a crisis.

A cheerful post that goes out in the middle of a tragedy turns a small crisis into a big one, so a
declared crisis freezes every scheduled post and only a person releases them again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.audit import audit_record, audit_record_many
from crisisdesk.models import User
from inbox.connectors import connector_for
from inbox.connectors.base import ConnectorError
from inbox.models import Channel, ScheduledPost, ScheduledPostStatus
from playbooks.errors import TranslatableError
from playbooks.models import ACTIVE_CRISIS_STATUSES, Crisis, CrisisEventKind
from playbooks.services.timeline import crisis_event_add

logger = logging.getLogger(__name__)

MAX_POST_LENGTH = 5000


class OutboxError(TranslatableError):
    """A scheduled-post action that cannot be done; the message says why."""


def _crisis_is_active() -> bool:
    return Crisis.objects.filter(status__in=ACTIVE_CRISIS_STATUSES).exists()


def scheduled_post_create(
    *, channel: Channel, body: str, scheduled_at: datetime, actor: User
) -> ScheduledPost:
    """Schedule a post. During a declared crisis it is created frozen, so it cannot slip out."""
    body = (body or "").strip()
    if not body:
        raise OutboxError(_("The post is empty."))
    if len(body) > MAX_POST_LENGTH:
        raise OutboxError(_("The post is longer than 5,000 characters."))
    with transaction.atomic():
        status = ScheduledPostStatus.FROZEN if _crisis_is_active() else ScheduledPostStatus.SCHEDULED
        post = ScheduledPost.objects.create(
            channel=channel, body=body, scheduled_at=scheduled_at, status=status, created_by=actor
        )
        audit_record(actor=actor, verb="post.schedule", target=post, data={"status": status})
    return post


def scheduled_posts_freeze(*, actor: User | None, crisis: Crisis | None = None) -> int:
    """Freeze every scheduled post; returns how many. Idempotent: frozen posts stay as they are."""
    return _posts_move(
        actor=actor, crisis=crisis, source=ScheduledPostStatus.SCHEDULED, target=ScheduledPostStatus.FROZEN,
        verb="post.freeze", key="posts.frozen",
    )


def scheduled_posts_release(
    *, actor: User, crisis: Crisis | None = None, post_ids: list[int] | None = None
) -> int:
    """Let frozen posts go out again at their time (all, or the given ids); returns how many."""
    return _posts_move(
        actor=actor, crisis=crisis, source=ScheduledPostStatus.FROZEN, target=ScheduledPostStatus.SCHEDULED,
        verb="post.release", key="posts.released", post_ids=post_ids,
    )


def _posts_move(
    *,
    actor: User | None,
    crisis: Crisis | None,
    source: str,
    target: str,
    verb: str,
    key: str,
    post_ids: list[int] | None = None,
) -> int:
    """Move posts from one status to another under lock, audited and on the crisis timeline."""
    with transaction.atomic():
        queryset = ScheduledPost.objects.select_for_update().filter(status=source)
        if post_ids is not None:
            queryset = queryset.filter(pk__in=post_ids)
        posts: list[Model] = list(queryset.order_by("pk"))
        ScheduledPost.objects.filter(pk__in=[post.pk for post in posts]).update(status=target)
        audit_record_many(actor=actor, verb=verb, targets=posts, data={"crisis": crisis.pk if crisis else None})
        if crisis is not None:
            crisis_event_add(
                crisis=crisis,
                kind=CrisisEventKind.POSTS,
                key=key,
                params={"count": len(posts)},
                actor=actor,
                data={"count": len(posts)},
            )
    return len(posts)


def scheduled_post_publish(*, post_id: int, now: datetime | None = None) -> ScheduledPost | None:
    """Publish one due post through its channel; frozen, cancelled or published posts are left alone."""
    now = now or timezone.now()
    with transaction.atomic():
        post = ScheduledPost.objects.select_for_update().select_related("channel").filter(pk=post_id).first()
        if post is None or post.status != ScheduledPostStatus.SCHEDULED or post.scheduled_at > now:
            return post
        try:
            post.external_id = connector_for(post.channel).publish_post(text=post.body)
            post.status = ScheduledPostStatus.PUBLISHED
            post.published_at = now
            post.error = ""
        except (ConnectorError, ValueError) as error:
            post.status = ScheduledPostStatus.FAILED
            post.error = str(error)[:2000]
        post.save(update_fields=["external_id", "status", "published_at", "error"])
        audit_record(actor=None, verb=f"post.{post.status}", target=post, data={"error": post.error})
    return post


def scheduled_posts_publish_due(*, now: datetime | None = None) -> list[int]:
    """Publish every scheduled (not frozen) post whose time has come; returns the published ids."""
    now = now or timezone.now()
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        due = list(
            ScheduledPost.objects.select_for_update(skip_locked=skip_locked)
            .filter(status=ScheduledPostStatus.SCHEDULED, scheduled_at__lte=now)
            .order_by("scheduled_at", "pk")
            .values_list("pk", flat=True)[:100]
        )
    published = []
    for post_id in due:
        post = scheduled_post_publish(post_id=post_id, now=now)
        if post is not None and post.status == ScheduledPostStatus.PUBLISHED:
            published.append(post_id)
    return published
