"""Alerts: the list, each with the declaration it suggests (declaring is in `playbooks.views.declare`)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crisisdesk.roles import CONSOLE_STAFF, roles_required
from playbooks import selectors
from playbooks.models import AlertStatus, CrisisType
from playbooks.views.common import StaffRequest


@require_GET
@roles_required(*CONSOLE_STAFF)
def alert_list(request: StaffRequest) -> HttpResponse:
    status = request.GET.get("status") if request.GET.get("status") in AlertStatus.values else None
    alerts = list(selectors.alert_list(status=status)[:200])
    return render(
        request,
        "playbooks/alert_list.html",
        {
            "alerts": alerts,
            "status": status or "",
            "crisis_types": CrisisType.choices,
        },
    )
