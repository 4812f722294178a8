"""Escalation pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crisisdesk.roles import EVERYONE, roles_required
from escalation.models import Department


@roles_required(*EVERYONE)
def desk(request: HttpRequest) -> HttpResponse:
    departments = Department.objects.filter(heads=request.user) if request.user.role == "department_head" else Department.objects.all()
    return render(request, "escalation/desk.html", {"departments": departments})
