"""Crises, playbooks and alerts over HTTP: parse, authorise by role, call one service."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from crisisdesk.roles import CONSOLE_STAFF
from playbooks import selectors, services
from playbooks.api.serializers import (
    AlertSerializer,
    CrisisDeclareSerializer,
    CrisisDetailSerializer,
    CrisisLevelSerializer,
    CrisisSerializer,
    DashboardSerializer,
    PlaybookDetailSerializer,
    PlaybookSerializer,
)
from playbooks.dashboard import DashboardRangeInvalid, dashboard_figures, dashboard_range_parse
from playbooks.models import ChecklistItem, Crisis, CrisisEvent, CrisisRole, CrisisStatus


class NewestFirst(CursorPagination):
    ordering = ("-id",)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _run(action):
    try:
        return action()
    except services.CrisisError as error:
        raise ValidationError({"detail": str(error)}) from error


def _detail(crisis_id: int) -> Crisis:
    crisis = (
        Crisis.objects.select_related("owner", "playbook_version")
        .prefetch_related(
            Prefetch("checklist", queryset=ChecklistItem.objects.select_related("assignee").order_by("position")),
            Prefetch("roles", queryset=CrisisRole.objects.select_related("user")),
            Prefetch(
                "events", queryset=CrisisEvent.objects.select_related("actor").order_by("created_at", "id")
            ),
            "mentions",
        )
        .filter(pk=crisis_id)
        .first()
    )
    if crisis is None:
        raise NotFound("No crisis with that id.")
    return crisis


class CrisisListView(generics.ListAPIView):
    allowed_roles = CONSOLE_STAFF
    serializer_class = CrisisSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        queryset = Crisis.objects.select_related("owner", "playbook_version")
        status_filter = self.request.query_params.get("status")
        if status_filter and status_filter not in CrisisStatus.values:
            raise ValidationError({"status": f"Choose one of: {', '.join(CrisisStatus.values)}."})
        return queryset.filter(status=status_filter) if status_filter else queryset


class CrisisDetailView(APIView):
    allowed_roles = CONSOLE_STAFF

    @extend_schema(responses=CrisisDetailSerializer)
    def get(self, request, pk: int):
        return Response(CrisisDetailSerializer(_detail(pk)).data)


class CrisisDeclareView(APIView):
    allowed_roles = services.DECLARERS

    @extend_schema(request=CrisisDeclareSerializer, responses={201: CrisisDetailSerializer})
    def post(self, request):
        serializer = CrisisDeclareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        crisis = _run(lambda: services.crisis_declare(actor=request.user, **serializer.validated_data))
        return Response(CrisisDetailSerializer(_detail(crisis.pk)).data, status=status.HTTP_201_CREATED)


class CrisisLevelView(APIView):
    allowed_roles = services.DECLARERS

    @extend_schema(request=CrisisLevelSerializer, responses=CrisisSerializer)
    def post(self, request, pk: int):
        serializer = CrisisLevelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        crisis = _run(
            lambda: services.crisis_level_change(
                crisis_id=pk, level=serializer.validated_data["level"], actor=request.user
            )
        )
        return Response(CrisisSerializer(crisis).data)


class CrisisResolveView(APIView):
    allowed_roles = services.DECLARERS

    @extend_schema(request=None, responses=CrisisSerializer)
    def post(self, request, pk: int):
        crisis = _run(lambda: services.crisis_resolve(crisis_id=pk, actor=request.user))
        return Response(CrisisSerializer(crisis).data)


class PlaybookListView(generics.ListAPIView):
    allowed_roles = CONSOLE_STAFF
    serializer_class = PlaybookSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.playbook_list()


class PlaybookDetailView(generics.RetrieveAPIView):
    allowed_roles = CONSOLE_STAFF
    serializer_class = PlaybookDetailSerializer

    def get_queryset(self):
        return selectors.playbook_list()


class AlertListView(generics.ListAPIView):
    allowed_roles = CONSOLE_STAFF
    serializer_class = AlertSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        status_filter = self.request.query_params.get("status")
        return selectors.alert_list(status=status_filter if status_filter in ("open", "closed") else None)


class DashboardView(APIView):
    """Dashboard figures for directors' own tools (wallboards, BI): read from rollups, never scans."""

    allowed_roles = CONSOLE_STAFF

    @extend_schema(responses=DashboardSerializer)
    def get(self, request):
        params = request.query_params
        try:
            window = dashboard_range_parse(
                key=params.get("range"), start=params.get("from", ""), end=params.get("to", "")
            )
        except DashboardRangeInvalid as error:
            raise ValidationError({"range": [str(error)]}) from error
        return Response(DashboardSerializer(dashboard_figures(window=window).as_dict()).data)
