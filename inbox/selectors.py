"""Reads for the inbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from crisisdesk.models import Role, User
from crisisdesk.roles import CONSOLE_STAFF, user_role
from inbox.models import OPEN_STATUSES, Channel, Mention, MentionStatus, Reply


def inbox_list(*, include_hidden: bool = False) -> QuerySet[Mention]:
    queryset = Mention.objects.select_related("channel", "author", "assignee").defer("raw", "search_vector")
    if not include_hidden:
        queryset = queryset.filter(is_hidden=False)
    return queryset.order_by("-received_at", "-id")


def mention_detail(*, mention_id: int) -> Mention | None:
    return (
        Mention.objects.select_related("channel", "author", "assignee", "hidden_by")
        .prefetch_related("replies__author", "replies__approval__decided_by")
        .defer("search_vector")
        .filter(pk=mention_id)
        .first()
    )


def mention_thread(*, mention: Mention) -> QuerySet[Mention]:
    return (
        Mention.objects.select_related("author")
        .defer("raw", "search_vector")
        .filter(channel_id=mention.channel_id, conversation_id=mention.conversation_id)
        .order_by("posted_at", "id")
    )


def channel_health_list() -> QuerySet[Channel]:
    return Channel.objects.defer("credentials_encrypted").order_by("name")


def inbox_filter(
    queryset: QuerySet[Mention],
    *,
    status: str = "",
    category: str = "",
    sentiment: str = "",
    channel_kind: str = "",
    assignee: User | None = None,
    unassigned: bool = False,
    language: str = "",
    crisis_id: int | None = None,
    search: str = "",
    received_before: datetime | None = None,
) -> QuerySet[Mention]:
    """The inbox's filters; an empty status means the open ones. Search is always parameterised.

    `received_before` keeps the mentions waiting since before then (the "about to breach" view).

    On PostgreSQL the search uses the stored `search_vector` (config "simple", GIN-indexed);
    elsewhere it falls back to a case-insensitive substring match.
    """
    if not status:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        queryset = queryset.filter(status=status)
    if category:
        queryset = queryset.filter(category=category)
    if sentiment:
        queryset = queryset.filter(sentiment=sentiment)
    if channel_kind:
        # Channels are few: resolving their ids first lets PostgreSQL use the mention indexes alone.
        channel_ids = list(Channel.objects.filter(kind=channel_kind).values_list("id", flat=True))
        queryset = queryset.filter(channel_id__in=channel_ids)
    if assignee is not None:
        queryset = queryset.filter(assignee=assignee)
    elif unassigned:
        queryset = queryset.filter(assignee__isnull=True)
    if language:
        queryset = queryset.filter(language=language)
    if crisis_id is not None:
        queryset = queryset.filter(crises__id=crisis_id)
    if received_before is not None:
        queryset = queryset.filter(received_at__lte=received_before)
    search = (search or "").strip()
    if search:
        if connection.vendor == "postgresql":
            queryset = queryset.filter(search_vector=SearchQuery(search, config="simple", search_type="websearch"))
        else:
            for word in search.split()[:10]:
                queryset = queryset.filter(text__icontains=word)
    return queryset


SEARCH_WINDOWS = (timedelta(days=1), timedelta(days=8), timedelta(days=64), None)


def search_reads_windows(*, search: str, status: str) -> bool:
    """Windows pay off for a search over answered history; open mentions are few and have their own index."""
    return bool((search or "").strip()) and status in ("all", MentionStatus.REPLIED, MentionStatus.CLOSED)


def newest_first_windows(queryset: QuerySet[Mention]) -> Iterator[QuerySet[Mention]]:
    """The same newest-first query over the last day, week, two months, then everything.

    A common word matches tens of thousands of old mentions; PostgreSQL would fetch them all before
    sorting out the newest fifty. Each window is a prefix of the newest-first order, so the first
    window that fills a page gives exactly the page the whole table would; only a short page widens.
    """
    now = timezone.now()
    for window in SEARCH_WINDOWS:
        yield queryset if window is None else queryset.filter(received_at__gte=now - window)


def newest_first(queryset: QuerySet[Mention], *, limit: int) -> list[Mention]:
    """The first `limit` mentions of a newest-first queryset, looking in recent windows first."""
    for windowed in newest_first_windows(queryset):
        mentions = list(windowed[:limit])
        if len(mentions) == limit:
            break
    return mentions


def community_managers() -> QuerySet[User]:
    return User.objects.filter(role=Role.COMMUNITY_MANAGER, is_active=True).order_by("first_name", "username")


def mention_presence_allowed(*, user: User, mention_id: int) -> bool:
    """Presence on a mention is for the people who may open it: console staff, and only if it exists."""
    if user_role(user) not in CONSOLE_STAFF:
        return False
    return Mention.objects.filter(pk=mention_id).exists()


def reply_for_mention(*, reply_id: int, mention_id: int) -> Reply | None:
    return Reply.objects.filter(pk=reply_id, mention_id=mention_id).first()


def author_history(*, author_id: int, exclude_mention_id: int, limit: int = 5) -> list[Mention]:
    """The author's latest other mentions, hidden ones included: a troll's record is part of the story."""
    return list(
        Mention.objects.filter(author_id=author_id)
        .exclude(pk=exclude_mention_id)
        .defer("raw", "search_vector")
        .order_by("-received_at", "-id")[:limit]
    )
