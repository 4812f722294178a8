"""A crisis's incident roles and who does each checklist step, over HTTP: parse, call one service.

The services decide who may (the crisis team, `incident_selectors.crisis_team_includes`): anyone else
on the console is answered 403, a department head never gets past the role check.
"""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crisisdesk.models import User
from playbooks import services
from playbooks.api.publishing import _run
from playbooks.api.serializers import ChecklistItemSerializer, CrisisRoleSerializer
from playbooks.choices import IncidentRole
from playbooks.incident_selectors import crisis_roles
from playbooks.models import Crisis


class RoleAssignSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=IncidentRole.choices)
    user_id = serializers.IntegerField()


class ChecklistAssignSerializer(serializers.Serializer):
    assignee_id = serializers.IntegerField(allow_null=True, help_text="Null: back to the holder of the step's role.")
    due_at = serializers.DateTimeField(required=False, help_text="Omitted: the due time stays.")


def _roles(crisis_id: int) -> Any:
    if not Crisis.objects.filter(pk=crisis_id).exists():
        raise NotFound("No crisis with that id.")
    return CrisisRoleSerializer(crisis_roles(crisis_id=crisis_id), many=True).data


class CrisisRolesView(APIView):
    allowed_roles = services.DECLARERS

    @extend_schema(responses=CrisisRoleSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        return Response(_roles(pk))

    @extend_schema(request=RoleAssignSerializer, responses={201: CrisisRoleSerializer(many=True)})
    def post(self, request: Request, pk: int) -> Response:
        serializer = RoleAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _run(
            lambda: services.crisis_role_assign(
                crisis_id=pk, actor=cast(User, request.user), **serializer.validated_data
            )
        )
        return Response(_roles(pk), status=status.HTTP_201_CREATED)


class CrisisRoleHolderView(APIView):
    allowed_roles = services.DECLARERS

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int, role: str, user_id: int) -> Response:
        removed = _run(
            lambda: services.crisis_role_unassign(
                crisis_id=pk, role=role, user_id=user_id, actor=cast(User, request.user)
            )
        )
        if not removed:
            raise NotFound("That person does not hold that role in this crisis.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChecklistItemAssignView(APIView):
    allowed_roles = services.DECLARERS

    @extend_schema(request=ChecklistAssignSerializer, responses=ChecklistItemSerializer)
    def patch(self, request: Request, pk: int, item_id: int) -> Response:
        serializer = ChecklistAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = _run(
            lambda: services.checklist_item_assign(
                crisis_id=pk,
                item_id=item_id,
                actor=cast(User, request.user),
                assignee_id=serializer.validated_data["assignee_id"],
                due_at=serializer.validated_data.get("due_at"),
            )
        )
        return Response(ChecklistItemSerializer(item).data)
