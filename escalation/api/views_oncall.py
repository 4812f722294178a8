"""On call over HTTP: GET /api/departments/<id>/on-call/ — who is on call now, until when, the next shifts.

Community managers, directors and admins see every department; a department head only the ones
they head or belong to (anyone else gets 404, as for a department that does not exist).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crisisdesk.models import User
from crisisdesk.roles import EVERYONE
from crisisdesk.text import user_display_name
from escalation import selectors_oncall
from escalation.views_oncall import feed_url

API_SHIFTS_AHEAD = timedelta(days=7)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()


class ShiftSerializer(serializers.Serializer):
    user = PersonSerializer(allow_null=True)
    reason = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class DepartmentOnCallSerializer(serializers.Serializer):
    department = serializers.DictField()
    user = PersonSerializer(allow_null=True)
    reason = serializers.CharField()
    scheduled = PersonSerializer(allow_null=True)
    until = serializers.DateTimeField(allow_null=True)
    has_rotation = serializers.BooleanField()
    shifts = ShiftSerializer(many=True)
    feed_url = serializers.CharField()


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user_display_name(user)}


class DepartmentOnCallView(APIView):
    allowed_roles = EVERYONE

    @extend_schema(responses=DepartmentOnCallSerializer)
    def get(self, request: Request, department_id: int) -> Response:
        user = cast(User, request.user)
        department = selectors_oncall.on_call_departments_for(user=user).filter(pk=department_id).first()
        if department is None:
            raise NotFound(_("No department with that id."))
        now = timezone.now()
        current = selectors_oncall.department_on_call(department=department, now=now)
        shifts = selectors_oncall.department_shifts(department=department, since=now, until=now + API_SHIFTS_AHEAD)
        data = {
            "department": {"id": department.pk, "slug": department.slug, "name": department.name},
            "user": _person(current.user),
            "reason": current.source,
            "scheduled": _person(current.scheduled),
            "until": current.until,
            "has_rotation": current.has_rotation,
            "shifts": [
                {
                    "user": _person(shift.user),
                    "reason": shift.source,
                    "starts_at": shift.starts_at,
                    "ends_at": shift.ends_at,
                }
                for shift in shifts
            ],
            "feed_url": feed_url(request, user=user, department_id=department.pk),
        }
        return Response(DepartmentOnCallSerializer(data).data)
