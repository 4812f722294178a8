"""The holding lines page: a department head adds, approves and retires their department's lines.

Heads see and manage only the departments they head; directors and admins all of them
(`escalation.holding_lines.holding_line_departments`). Everything else goes through the services.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crisisdesk.models import Role, User
from crisisdesk.roles import roles_required
from escalation import services
from escalation.forms import HoldingLineForm, form_errors
from escalation.holding_lines import holding_line_departments, holding_lines_manageable
from escalation.models import HoldingLine

MANAGERS = (Role.DEPARTMENT_HEAD, Role.DIRECTOR, Role.ADMIN)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@require_http_methods(["GET", "POST"])
@roles_required(*MANAGERS)
def holding_lines(request: HttpRequest) -> HttpResponse:
    """The list of the user's departments' lines and the form that adds one."""
    user = _user(request)
    departments = holding_line_departments(user=user)
    form = HoldingLineForm(request.POST or None, departments=departments)
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, form_errors(form))
        else:
            try:
                services.holding_line_create(user=user, **form.cleaned_data)
            except services.EscalationPermissionError as refusal:
                raise PermissionDenied from refusal
            messages.success(request, _("Holding line saved."))
            return redirect("escalation:holding_lines")
    return render(
        request,
        "escalation/holding_lines.html",
        {"form": form, "lines": holding_lines_manageable(user=user), "has_departments": departments.exists()},
    )


def _act(request: HttpRequest, line_id: int, action, done: str) -> HttpResponse:
    if not HoldingLine.objects.filter(pk=line_id).exists():
        raise Http404
    try:
        action(user=_user(request), line_id=line_id)
    except services.EscalationPermissionError as refusal:
        raise PermissionDenied from refusal
    messages.success(request, done)
    return redirect("escalation:holding_lines")


@require_POST
@roles_required(*MANAGERS)
def holding_line_approve(request: HttpRequest, line_id: int) -> HttpResponse:
    return _act(request, line_id, services.holding_line_approve, _("Holding line approved."))


@require_POST
@roles_required(*MANAGERS)
def holding_line_retire(request: HttpRequest, line_id: int) -> HttpResponse:
    return _act(request, line_id, services.holding_line_retire, _("Holding line retired."))
