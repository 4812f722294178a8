"""Suspending all scheduled publishing, and releasing held posts one at a time.

Hootsuite calls it "Suspend scheduled content": one switch, organisation-wide, with a reason, so that no
cheerful post goes out in the middle of a tragedy. Declaring a crisis pulls it (the crisis title is the
reason). While suspended every approved post is held, and a post approved meanwhile is held at once.
Ending the suspension releases nothing by itself: each held post is looked at and released, or not.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from crisisdesk.audit import audit_record, audit_record_many
from crisisdesk.locks import transaction_lock
from crisisdesk.models import User
from crisisdesk.text import has_control_characters
from inbox.models import ScheduledPost, ScheduledPostStatus
from playbooks import events
from playbooks.errors import OutboxError, PostTimePassed
from playbooks.models import ACTIVE_CRISIS_STATUSES, Crisis, CrisisEventKind, PublishingSuspension
from playbooks.services.common import display_name
from playbooks.services.posts import (
    SUSPENSION_LOCK,
    future_time,
    post_for_update,
    publisher_require,
    scheduled_post_publish_enqueue,
)
from playbooks.services.timeline import crisis_event_add

MAX_REASON_LENGTH = 300


REASON_REQUIRED = _("Say why publishing is suspended: the reason is shown to everyone who schedules.")


def _reason_clean(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise OutboxError(REASON_REQUIRED)
    if has_control_characters(reason):
        raise OutboxError(_("The reason must be one line."))
    return reason[:MAX_REASON_LENGTH]


def _timeline_crises(suspension: PublishingSuspension | None) -> list[Crisis]:
    """Where publishing entries go: the suspension's own crisis, else every active crisis."""
    if suspension is not None and suspension.crisis_id:
        return [suspension.crisis] if suspension.crisis else []
    return list(Crisis.objects.filter(status__in=ACTIVE_CRISIS_STATUSES).order_by("-level", "pk")[:5])


def _posts_hold(*, suspension: PublishingSuspension, actor: User | None, now: datetime) -> int:
    """Every approved post waiting for its time is held; returns how many."""
    waiting = ScheduledPost.objects.filter(status=ScheduledPostStatus.SCHEDULED).order_by("pk")
    posts = list(waiting.select_for_update(no_key=True))
    held = ScheduledPost.objects.filter(pk__in=[post.pk for post in posts])
    held.update(status=ScheduledPostStatus.FROZEN, held_at=now)
    audit_record_many(actor=actor, verb="post.hold", targets=posts, data={"suspension": suspension.pk})
    return len(posts)


def publishing_suspend(
    *, actor: User | None, reason: str, crisis: Crisis | None = None, now: datetime | None = None
) -> PublishingSuspension:
    """Suspend all scheduled publishing with a reason, holding every approved post; idempotent.

    While a suspension is open another is not opened: a crisis declared meanwhile notes on its timeline
    that publishing is already suspended. Audited "publishing.suspend"; on the crisis timeline (the
    declared crisis, or every active one for the button); `publishing.changed` after commit.
    """
    if crisis is None:  # the button: a person with the right role; a declaration has checked its declarer
        if actor is None:
            raise OutboxError(_("Only community managers and directors can schedule posts."))
        publisher_require(actor)
    reason = _reason_clean(reason)
    now = now or timezone.now()
    with transaction.atomic():
        transaction_lock(SUSPENSION_LOCK)
        active = PublishingSuspension.objects.select_for_update(no_key=True).filter(ended_at__isnull=True).first()
        if active is not None:
            if crisis is not None:
                crisis_event_add(
                    crisis=crisis, kind=CrisisEventKind.POSTS, key="publishing.already_suspended",
                    params={"reason": active.reason}, data={"suspension": active.pk}, at=now,
                )
            return active
        suspension = PublishingSuspension.objects.create(reason=reason, crisis=crisis, started_by=actor, started_at=now)
        held = _posts_hold(suspension=suspension, actor=actor, now=now)
        audit_record(actor=actor, verb="publishing.suspend", target=suspension, data={"held": held, "reason": reason})
        for timeline in _timeline_crises(suspension):
            crisis_event_add(
                crisis=timeline, kind=CrisisEventKind.POSTS, key="publishing.suspended",
                params={"reason": reason, "count": held, "actor": display_name(actor)}, actor=actor,
                data={"suspension": suspension.pk, "held": held}, at=now,
            )
        events.publish_publishing_changed(post_id=None, status="suspended", suspended=True)
    return suspension


def publishing_resume(*, actor: User, now: datetime | None = None) -> PublishingSuspension:
    """End the open suspension. Held posts stay held: each one is reviewed and released on its own."""
    publisher_require(actor)
    now = now or timezone.now()
    with transaction.atomic():
        transaction_lock(SUSPENSION_LOCK)
        suspension = (
            PublishingSuspension.objects.select_for_update(no_key=True, of=("self",)).select_related("crisis")
            .filter(ended_at__isnull=True).first()
        )
        if suspension is None:
            raise OutboxError(_("Scheduled publishing is not suspended."))
        suspension.ended_at, suspension.ended_by = now, actor
        suspension.save(update_fields=["ended_at", "ended_by"])
        held = ScheduledPost.objects.filter(status=ScheduledPostStatus.FROZEN).count()
        audit_record(actor=actor, verb="publishing.resume", target=suspension, data={"still_held": held})
        for timeline in _timeline_crises(suspension):
            crisis_event_add(
                crisis=timeline, kind=CrisisEventKind.POSTS, key="publishing.resumed",
                params={"count": held, "actor": display_name(actor)}, actor=actor,
                data={"suspension": suspension.pk, "still_held": held}, at=now,
            )
        events.publish_publishing_changed(post_id=None, status="resumed", suspended=False)
    return suspension


def scheduled_post_release(
    *,
    post_id: int,
    actor: User,
    publish_now: bool = False,
    scheduled_at: datetime | None = None,
    now: datetime | None = None,
) -> ScheduledPost:
    """Release one held post: it goes out at its time if that is still ahead; if its time has passed the
    person chooses "publish now" (`publish_now`) or a new time (`scheduled_at`), else `PostTimePassed`.

    Allowed while the suspension lasts — that is how posts are released one at a time. Audited
    "post.release"; on the timeline of the suspension's crisis.
    """
    publisher_require(actor)
    now = now or timezone.now()
    with transaction.atomic():
        transaction_lock(SUSPENSION_LOCK)
        post = post_for_update(post_id)
        if post.status != ScheduledPostStatus.FROZEN:
            raise OutboxError(_("This post is not held."))
        if scheduled_at is not None:
            post.scheduled_at = future_time(scheduled_at, now)
        elif publish_now:
            post.scheduled_at = now
            scheduled_post_publish_enqueue(post.pk)
        elif post.scheduled_at <= now:
            when = formats.date_format(timezone.localtime(post.scheduled_at), "SHORT_DATETIME_FORMAT")
            raise PostTimePassed(_("This post was due at %(time)s: publish it now or choose a new time."), time=when)
        post.status, post.held_at = ScheduledPostStatus.SCHEDULED, None
        post.save(update_fields=["status", "held_at", "scheduled_at"])
        mode = "new_time" if scheduled_at is not None else "now" if publish_now else "at_time"
        audit_record(actor=actor, verb="post.release", target=post, data={"mode": mode})
        latest = PublishingSuspension.objects.select_related("crisis").order_by("-started_at", "-pk").first()
        for timeline in _timeline_crises(latest):
            crisis_event_add(
                crisis=timeline, kind=CrisisEventKind.POSTS, key="post.released",
                params={"channel": post.channel.name, "actor": display_name(actor),
                        "time": timezone.localtime(post.scheduled_at).strftime("%d/%m %H:%M")},
                actor=actor, data={"post": post.pk, "mode": mode}, at=now,
            )
        events.publish_publishing_changed(post_id=post.pk, status=post.status)
    return post
