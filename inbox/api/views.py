"""Mentions and channels over HTTP: parse, authorise (roles), call one selector or service."""

from __future__ import annotations

from functools import cache

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from crisisdesk.conditional import ConditionalListMixin
from crisisdesk.models import Role
from crisisdesk.realtime import INBOX_GROUP
from crisisdesk.roles import CONSOLE_STAFF
from inbox import selectors, services
from inbox.api.filters import MentionFilter
from inbox.api.plain_rows import MentionFilterBackend, value_lookups
from inbox.api.serializers import (
    AssignSerializer,
    ChannelHealthSerializer,
    HideSerializer,
    MentionDetailSerializer,
    MentionSerializer,
    ReplyCreateSerializer,
    ReplySerializer,
    TriageBacklogSerializer,
)
from inbox.queue import SORTS, QueueCursorInvalid, inbox_queue_page
from inbox.triage.selectors import triage_backlog

ACTORS = frozenset({Role.COMMUNITY_MANAGER, Role.ADMIN})


@cache
def mention_list_lookups() -> tuple[str, ...] | None:
    lookups = value_lookups(MentionSerializer())
    return None if lookups is None else tuple(lookups)


class MentionCursorPagination(CursorPagination):
    """Newest first by default (DRF's cursor); `sort=priority|newest|oldest` pages the work queue by keyset.

    DRF's cursor keeps only the first ordering field and an offset among equal values, which degrades
    into an offset over the thousands of mentions sharing a priority; `inbox.queue` keeps the whole key.
    """

    ordering = ("-received_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    sort_query_param = "sort"
    queue_sort: str | None = None
    queue_next = ""

    def paginate_queryset(self, queryset, request, view=None):
        """A search over history reads recent windows first (`selectors.newest_first_windows`) going forward.

        A window that yields a page and one more row gave exactly the page the whole table would.
        """
        params = request.query_params
        if self.sort_query_param in params:
            return self._paginate_queue(queryset, request)
        cursor = self.decode_cursor(request)
        windows = selectors.search_reads_windows(search=params.get("q", ""), status=params.get("status", ""))
        if not windows or (cursor is not None and cursor.reverse):
            return super().paginate_queryset(queryset, request, view)
        for windowed in selectors.newest_first_windows(queryset):
            page = super().paginate_queryset(windowed, request, view)
            if self.has_next:
                break
        return page

    def _paginate_queue(self, queryset, request):
        params = request.query_params
        sort = params[self.sort_query_param]
        if sort not in SORTS:
            raise ValidationError({self.sort_query_param: f"One of: {', '.join(SORTS)}."})
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.queue_sort = sort
        try:
            page = inbox_queue_page(
                queryset,
                sort=sort,
                cursor=params.get(self.cursor_query_param, ""),
                limit=self.get_page_size(request),
                search=params.get("q", ""),
                status=params.get("status", ""),
            )
        except QueueCursorInvalid as error:
            raise NotFound(self.invalid_cursor_message) from error
        self.queue_next = page.next_cursor
        return page.rows

    def get_next_link(self):
        if self.queue_sort is None:
            return super().get_next_link()
        if not self.queue_next:
            return None
        return replace_query_param(self.base_url, self.cursor_query_param, self.queue_next)

    def get_previous_link(self):
        return None if self.queue_sort is not None else super().get_previous_link()

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        description = "Work-queue order, paged by keyset: priority (then waiting longest), newest or oldest."
        parameters.append(
            {
                "name": self.sort_query_param,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": "string", "enum": list(SORTS)},
            }
        )
        return parameters


class MentionListView(ConditionalListMixin, generics.ListAPIView):
    """The inbox as polled: a weak ETag from the page's plain rows, 304 when nothing on it changed.

    Every console staff member sees the same inbox, so a page is shared between them until the inbox
    stream announces a change (`crisisdesk.shared_pages`); "Mine" is one viewer's own page. "Due soon"
    moves with the clock, at most `SHARED_PAGE_SECONDS` late.
    """

    allowed_roles = CONSOLE_STAFF
    serializer_class = MentionSerializer
    filterset_class = MentionFilter
    filter_backends = [MentionFilterBackend]
    pagination_class = MentionCursorPagination
    shared_page_stream = INBOX_GROUP

    def shared_page_scope(self, request) -> str | None:
        return f"viewer:{request.user.pk}" if "mine" in request.query_params else "console-staff"

    @property
    def etag_from(self):
        """Plain rows are the whole representation; model instances may be read further, so their body is."""
        return "body" if mention_list_lookups() is None else "rows"

    def get_queryset(self):
        """Only the columns the page shows, as plain rows: a mention's raw payload and its channel's
        settings stay behind, and no model instance is built (docs/PERFORMANCE.md has the figures).
        A serializer field that needs an instance turns the rows back into mentions."""
        lookups = mention_list_lookups()
        return selectors.inbox_list() if lookups is None else selectors.inbox_list().values(*lookups)


class MentionDetailView(generics.RetrieveAPIView):
    allowed_roles = CONSOLE_STAFF
    serializer_class = MentionDetailSerializer

    def get_object(self):
        mention = selectors.mention_detail(mention_id=self.kwargs["pk"])
        if mention is None:
            raise NotFound("No mention with that id.")
        return mention


class MentionActionView(APIView):
    """Base for actions: turn the service's refusals into 400s with the reason."""

    allowed_roles = ACTORS

    def run(self, action):
        try:
            mention = action()
        except services.InboxError as error:
            if "does not exist" in str(error):
                raise NotFound(str(error)) from error
            raise ValidationError({"detail": str(error)}) from error
        return mention


class MentionAssignView(MentionActionView):
    @extend_schema(request=AssignSerializer, responses=MentionSerializer)
    def post(self, request, pk: int):
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignee = request.user
        if "assignee" in serializer.validated_data:
            assignee_id = serializer.validated_data["assignee"]
            assignee = None if assignee_id is None else selectors.community_managers().filter(pk=assignee_id).first()
            if assignee_id is not None and assignee is None:
                raise ValidationError({"assignee": "No community manager with that id."})
        mention = self.run(lambda: services.mention_assign(mention_id=pk, assignee=assignee, actor=request.user))
        return Response(MentionSerializer(mention).data)


class MentionReplyView(MentionActionView):
    @extend_schema(request=ReplyCreateSerializer, responses={201: ReplySerializer})
    def post(self, request, pk: int):
        serializer = ReplyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reply = self.run(lambda: services.reply_queue(mention_id=pk, author=request.user, **serializer.validated_data))
        return Response(ReplySerializer(reply).data, status=status.HTTP_201_CREATED)


class ReplyCancelView(MentionActionView):
    """Undo a reply inside its undo window; refused (400) once the window closed or sending started."""

    @extend_schema(request=None, responses=ReplySerializer)
    def post(self, request, pk: int):
        # Nothing in the body is read, but it is parsed like every write's: a malformed one is a 400 first.
        if request.data is None:
            raise ValidationError({"detail": "A JSON body, if any, must be an object."})
        reply = self.run(lambda: services.reply_cancel(reply_id=pk, actor=request.user))
        return Response(ReplySerializer(reply).data)


class MentionHideView(MentionActionView):
    @extend_schema(request=HideSerializer, responses=MentionSerializer)
    def post(self, request, pk: int):
        serializer = HideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        mention = self.run(
            lambda: services.mention_hide(mention_id=pk, actor=request.user, **serializer.validated_data)
        )
        return Response(MentionSerializer(mention).data)


class MentionCloseView(MentionActionView):
    @extend_schema(request=None, responses=MentionSerializer)
    def post(self, request, pk: int):
        mention = self.run(lambda: services.mention_close(mention_id=pk, actor=request.user))
        return Response(MentionSerializer(mention).data)


class ChannelHealthListView(generics.ListAPIView):
    allowed_roles = CONSOLE_STAFF
    serializer_class = ChannelHealthSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.channel_health_list()


class TriageBacklogView(APIView):
    """The model tier's refine queue: pending, in progress, oldest wait, shed in the last hour, the bound."""

    allowed_roles = CONSOLE_STAFF

    @extend_schema(responses=TriageBacklogSerializer)
    def get(self, request):
        return Response(TriageBacklogSerializer(triage_backlog().as_dict()).data)
