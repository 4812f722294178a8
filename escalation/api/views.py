"""Escalation requests over HTTP: parse, authorise (role, then department), call one service."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crisisdesk.conditional import ConditionalListMixin
from crisisdesk.models import Role, User
from crisisdesk.roles import EVERYONE
from escalation import selectors, services
from escalation.api.filters import EscalationRequestFilter
from escalation.api.serializers import (
    AcknowledgeSerializer,
    AnswerCreateSerializer,
    AnswerSerializer,
    EscalationCreateSerializer,
    EscalationRequestDetailSerializer,
    EscalationRequestSerializer,
)
from escalation.models import Answer, EscalationRequest

T = TypeVar("T")

RAISERS = frozenset({Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN})
ANSWERERS = frozenset({Role.DEPARTMENT_HEAD, Role.DIRECTOR, Role.ADMIN})


class EscalationCursorPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _signed_in(request: Request) -> User:
    """The user of a view behind `HasRole`, which lets no anonymous request through."""
    return cast(User, request.user)


def _visible(request: Request, pk: int) -> EscalationRequest:
    item = selectors.escalation_request_for(user=_signed_in(request), request_id=pk)
    if item is None:
        raise NotFound(_("No escalation request with that id."))
    return item


def _run(action: Callable[[], T]) -> T:
    """Call a service, turning its refusals into DRF's 403 and 400."""
    try:
        return action()
    except services.EscalationPermissionError as error:
        raise PermissionDenied(str(error)) from error
    except services.EscalationError as error:
        raise ValidationError({"detail": str(error)}) from error


class EscalationListCreateView(ConditionalListMixin, generics.ListAPIView):
    """Each viewer's visible requests; tagged by the body, since `is_overdue` moves with the clock."""

    allowed_roles = EVERYONE
    etag_from = "body"
    serializer_class = EscalationRequestSerializer
    filterset_class = EscalationRequestFilter
    pagination_class = EscalationCursorPagination

    def get_queryset(self) -> QuerySet[EscalationRequest]:
        return selectors.escalation_requests_visible(user=_signed_in(self.request))

    @extend_schema(request=EscalationCreateSerializer, responses={201: EscalationRequestDetailSerializer})
    def post(self, request: Request) -> Response:
        if not selectors.user_may_raise(user=_signed_in(request)):
            raise PermissionDenied(_("Only community managers, directors and admins raise escalations."))
        serializer = EscalationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = _run(
            lambda: services.escalation_request_create(
                raised_by=_signed_in(request),
                department=data["department"],
                question=data["question"],
                mention_ids=data.get("mention_ids", ()),
                crisis_id=data.get("crisis_id"),
                due_at=data.get("due_at"),
            )
        )
        return Response(
            EscalationRequestDetailSerializer(_visible(request, created.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class EscalationDetailView(generics.RetrieveAPIView):
    allowed_roles = EVERYONE
    serializer_class = EscalationRequestDetailSerializer

    def get_object(self) -> EscalationRequest:
        return _visible(self.request, self.kwargs["pk"])


class EscalationAcknowledgeView(APIView):
    allowed_roles = ANSWERERS

    @extend_schema(request=AcknowledgeSerializer, responses=EscalationRequestSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Acknowledge with `promised_at` (required, future, within 7 days); again with another time: a snooze."""
        _visible(request, pk)
        serializer = AcknowledgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = _run(
            lambda: services.escalation_request_acknowledge(
                request_id=pk,
                actor=_signed_in(request),
                promised_at=serializer.validated_data["promised_at"],
                holding_line=serializer.validated_data["holding_line"],
            )
        )
        return Response(EscalationRequestSerializer(item).data)


class EscalationAnswerView(APIView):
    allowed_roles = ANSWERERS

    @extend_schema(request=AnswerCreateSerializer, responses={201: AnswerSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _visible(request, pk)
        serializer = AnswerCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = _run(
            lambda: services.escalation_answer_create(
                request_id=pk,
                author=_signed_in(request),
                text=serializer.validated_data["text"],
                is_approved_wording=serializer.validated_data["is_approved_wording"],
            )
        )
        return Response(AnswerSerializer(answer).data, status=status.HTTP_201_CREATED)


class EscalationCloseView(APIView):
    allowed_roles = EVERYONE

    @extend_schema(request=None, responses=EscalationRequestSerializer)
    def post(self, request: Request, pk: int) -> Response:
        _visible(request, pk)
        item = _run(lambda: services.escalation_request_close(request_id=pk, actor=_signed_in(request)))
        return Response(EscalationRequestSerializer(item).data)


class ApprovedAnswerListView(generics.ListAPIView):
    """Approved wordings, as reply templates for community managers."""

    allowed_roles = frozenset({Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN})
    serializer_class = AnswerSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Answer]:
        return selectors.approved_answers_for_templates()
