"""Escalation requests over HTTP: parse, authorise (role, then department), call one service."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from crisisdesk.models import Role
from crisisdesk.roles import EVERYONE
from escalation import selectors, services
from escalation.api.filters import EscalationRequestFilter
from escalation.api.serializers import (
    AnswerCreateSerializer,
    AnswerSerializer,
    EscalationCreateSerializer,
    EscalationRequestDetailSerializer,
    EscalationRequestSerializer,
)

RAISERS = frozenset({Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN})
ANSWERERS = frozenset({Role.DEPARTMENT_HEAD, Role.DIRECTOR, Role.ADMIN})


class EscalationCursorPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _visible(request, pk: int):
    item = selectors.escalation_request_for(user=request.user, request_id=pk)
    if item is None:
        raise NotFound("No escalation request with that id.")
    return item


def _run(action):
    try:
        return action()
    except services.EscalationPermissionError as error:
        raise PermissionDenied(str(error)) from error
    except services.EscalationError as error:
        raise ValidationError({"detail": str(error)}) from error


class EscalationListCreateView(generics.ListAPIView):
    allowed_roles = EVERYONE
    serializer_class = EscalationRequestSerializer
    filterset_class = EscalationRequestFilter
    pagination_class = EscalationCursorPagination

    def get_queryset(self):
        return selectors.escalation_requests_visible(user=self.request.user)

    @extend_schema(request=EscalationCreateSerializer, responses={201: EscalationRequestDetailSerializer})
    def post(self, request):
        if not selectors.user_may_raise(user=request.user):
            raise PermissionDenied("Only community managers, directors and admins raise escalations.")
        serializer = EscalationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = _run(
            lambda: services.escalation_request_create(
                raised_by=request.user,
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

    def get_object(self):
        return _visible(self.request, self.kwargs["pk"])


class EscalationAcknowledgeView(APIView):
    allowed_roles = ANSWERERS

    @extend_schema(request=None, responses=EscalationRequestSerializer)
    def post(self, request, pk: int):
        _visible(request, pk)
        item = _run(lambda: services.escalation_request_acknowledge(request_id=pk, actor=request.user))
        return Response(EscalationRequestSerializer(item).data)


class EscalationAnswerView(APIView):
    allowed_roles = ANSWERERS

    @extend_schema(request=AnswerCreateSerializer, responses={201: AnswerSerializer})
    def post(self, request, pk: int):
        _visible(request, pk)
        serializer = AnswerCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = _run(
            lambda: services.escalation_answer_create(
                request_id=pk,
                author=request.user,
                text=serializer.validated_data["text"],
                is_approved_wording=serializer.validated_data["is_approved_wording"],
            )
        )
        return Response(AnswerSerializer(answer).data, status=status.HTTP_201_CREATED)


class EscalationCloseView(APIView):
    allowed_roles = EVERYONE

    @extend_schema(request=None, responses=EscalationRequestSerializer)
    def post(self, request, pk: int):
        _visible(request, pk)
        item = _run(lambda: services.escalation_request_close(request_id=pk, actor=request.user))
        return Response(EscalationRequestSerializer(item).data)


class ApprovedAnswerListView(generics.ListAPIView):
    """Approved wordings, as reply templates for community managers."""

    allowed_roles = frozenset({Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN})
    serializer_class = AnswerSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.approved_answers_for_templates()
