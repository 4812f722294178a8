"""The director dashboard: a page, and its figures as JSON for the live refresh."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from crisisdesk.roles import CONSOLE_STAFF, roles_required
from playbooks.dashboard import dashboard_figures


@roles_required(*CONSOLE_STAFF)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "playbooks/dashboard.html", {"figures": dashboard_figures()})


@roles_required(*CONSOLE_STAFF)
def dashboard_data(request: HttpRequest) -> JsonResponse:
    return JsonResponse(dashboard_figures().as_dict())
