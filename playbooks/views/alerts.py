"""Alerts: the list, and a crisis declared from one with its suggested type and level."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from crisisdesk.roles import CONSOLE_STAFF, roles_required
from playbooks import selectors, services
from playbooks.forms import DeclareForm
from playbooks.models import Alert, AlertStatus, CrisisType
from playbooks.views.common import StaffRequest, refuse


@require_GET
@roles_required(*CONSOLE_STAFF)
def alert_list(request: StaffRequest) -> HttpResponse:
    status = request.GET.get("status") if request.GET.get("status") in AlertStatus.values else None
    return render(
        request,
        "playbooks/alert_list.html",
        {
            "alerts": list(selectors.alert_list(status=status)[:200]),
            "status": status or "",
            "crisis_types": CrisisType.choices,
        },
    )


@require_POST
@roles_required(*services.DECLARERS)
def alert_declare(request: StaffRequest, alert_id: int) -> HttpResponse:
    """Declare a crisis from an alert, with its suggested type and level unless the user changed them."""
    alert = get_object_or_404(Alert, pk=alert_id)
    back = reverse("playbooks:alert_list")
    form = DeclareForm(request.POST or None, initial={})
    data: dict[str, Any] = {"title": "", "crisis_type": alert.suggested_type, "level": alert.suggested_level}
    if "title" in form.errors:
        return refuse(request, str(form.errors["title"][0]), back=back)
    if form.is_valid():
        data.update({key: value for key, value in form.cleaned_data.items() if value})
    try:
        crisis = services.crisis_declare(actor=request.user, alert_id=alert.pk, **data)
    except services.CrisisError as error:
        return refuse(request, str(error), back=back)
    return redirect("playbooks:crisis_room", crisis_id=crisis.pk)
