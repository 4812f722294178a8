"""Reads for the publishing calendar: the week and the list, the suspension, held posts, and who approved what."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from crisisdesk.models import User
from crisisdesk.text import user_display_name
from inbox.connectors import capabilities_for
from inbox.models import Channel, ScheduledPost, ScheduledPostStatus
from inbox.post_checks import PostCheck, post_check, publishing_in_crisis
from playbooks.models import PublishingSuspension, Statement, StatementStatus

CHECKED_STATUSES = (
    ScheduledPostStatus.DRAFT,
    ScheduledPostStatus.PENDING,
    ScheduledPostStatus.SCHEDULED,
    ScheduledPostStatus.FROZEN,
    ScheduledPostStatus.FAILED,
)
LIST_LIMIT = 200


@dataclass
class CalendarDay:
    day: date
    posts: list[ScheduledPost] = field(default_factory=list)

    @property
    def is_today(self) -> bool:
        return self.day == timezone.localdate()


@dataclass(frozen=True)
class ApproverState:
    """One approver of a statement and where they stand: "approved", "returned" or "pending"."""

    name: str
    state: str
    comment: str = ""


def publishing_suspension_active() -> PublishingSuspension | None:
    return (
        PublishingSuspension.objects.filter(ended_at__isnull=True)
        .select_related("started_by", "crisis")
        .order_by("-started_at")
        .first()
    )


def posts_held() -> list[ScheduledPost]:
    return list(_posts().filter(status=ScheduledPostStatus.FROZEN).order_by("scheduled_at", "pk"))


def post_get(*, post_id: int) -> ScheduledPost | None:
    return _posts().filter(pk=post_id).first()


def _posts() -> QuerySet[ScheduledPost]:
    return ScheduledPost.objects.select_related("channel", "created_by", "approved_by")


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def calendar_week(*, start: date, channel_id: int | None = None) -> list[CalendarDay]:
    """Seven days from Monday `start`, each with its posts (any status but cancelled) in time order."""
    zone = timezone.get_current_timezone()
    begin = datetime.combine(start, time.min, tzinfo=zone)
    posts = _posts().filter(scheduled_at__gte=begin, scheduled_at__lt=begin + timedelta(days=7))
    posts = posts.exclude(status=ScheduledPostStatus.CANCELLED)
    if channel_id:
        posts = posts.filter(channel_id=channel_id)
    days = [CalendarDay(start + timedelta(days=offset)) for offset in range(7)]
    for post in posts.order_by("scheduled_at", "pk"):
        days[(timezone.localtime(post.scheduled_at).date() - start).days].posts.append(post)
    return days


def calendar_list(*, channel_id: int | None = None, now: datetime | None = None) -> list[ScheduledPost]:
    """Everything still to go out (or to fix), then the last day's published posts, soonest first."""
    now = now or timezone.now()
    posts = _posts().filter(status__in=CHECKED_STATUSES) | _posts().filter(
        status__in=[ScheduledPostStatus.PUBLISHED, ScheduledPostStatus.PUBLISHING],
        scheduled_at__gte=now - timedelta(days=1),
    )
    if channel_id:
        posts = posts.filter(channel_id=channel_id)
    return list(posts.order_by("scheduled_at", "pk")[:LIST_LIMIT])


def post_checks(posts: list[ScheduledPost]) -> dict[int, PostCheck]:
    """The composer's pre-send checks for each post not yet out, keyed by post id."""
    in_crisis = publishing_in_crisis()
    return {
        post.pk: post_check(kind=post.channel.kind, text=post.body, in_crisis=in_crisis)
        for post in posts
        if post.status in CHECKED_STATUSES
    }


def publishing_channels() -> list[tuple[Channel, bool]]:
    """Every channel, with whether Crisis Desk can post on it (the page says which cannot, and why)."""
    return [(channel, capabilities_for(channel.kind).publish) for channel in Channel.objects.order_by("name")]


def statement_approver_states(statement: Statement) -> list[ApproverState]:
    """Each approver's state, in the order they were named; reads prefetched approvers and decisions."""
    decisions = {decision.approver_id: decision for decision in statement.decisions.all()}
    states = []
    for approver in statement.approvers.all():
        decision = decisions.get(approver.pk)
        state = "pending" if decision is None else "approved" if decision.approved else "returned"
        if decision is None and statement.status != StatementStatus.PENDING:
            state = "not_needed"
        states.append(
            ApproverState(name=user_display_name(approver), state=state, comment=decision.comment if decision else "")
        )
    return states


def statement_pending_names(statement: Statement) -> list[str]:
    return [state.name for state in statement_approver_states(statement) if state.state == "pending"]


def user_can_approve_post(post: ScheduledPost, user: User) -> bool:
    """Four eyes on the calendar: a pending post, approved by anyone but its author."""
    return post.status == ScheduledPostStatus.PENDING and post.created_by_id != user.pk
