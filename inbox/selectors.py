"""Reads for the inbox."""

from __future__ import annotations

from django.db.models import QuerySet

from inbox.models import Channel, Mention


def inbox_list(*, include_hidden: bool = False) -> QuerySet[Mention]:
    queryset = Mention.objects.select_related("channel", "author", "assignee").defer("raw")
    if not include_hidden:
        queryset = queryset.filter(is_hidden=False)
    return queryset.order_by("-received_at", "-id")


def mention_detail(*, mention_id: int) -> Mention | None:
    return (
        Mention.objects.select_related("channel", "author", "assignee", "hidden_by")
        .prefetch_related("replies__author")
        .filter(pk=mention_id)
        .first()
    )


def mention_thread(*, mention: Mention) -> QuerySet[Mention]:
    return (
        Mention.objects.select_related("author")
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
    assignee=None,
    search: str = "",
) -> QuerySet[Mention]:
    """The inbox's filters; an empty status means the open ones. Search is always parameterised."""
    from inbox.models import OPEN_STATUSES

    if status == "all":
        pass
    elif status:
        queryset = queryset.filter(status=status)
    else:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    if category:
        queryset = queryset.filter(category=category)
    if sentiment:
        queryset = queryset.filter(sentiment=sentiment)
    if channel_kind:
        queryset = queryset.filter(channel__kind=channel_kind)
    if assignee is not None:
        queryset = queryset.filter(assignee=assignee)
    if search:
        queryset = queryset.filter(text__icontains=search)
    return queryset


def community_managers():
    from crisisdesk.models import Role, User

    return User.objects.filter(role=Role.COMMUNITY_MANAGER, is_active=True).order_by("first_name", "username")
