"""Declaring a crisis: posted once to see what it will do, then confirmed.

A declaration shows a banner to everyone, notifies people, asks departments and freezes scheduled
posts, so it is never one click: the first post shows the consequences (playbook, departments,
mentions to link, a crisis of the same type already open) and only the confirmed post declares.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crisisdesk.roles import roles_required
from playbooks import selectors, services
from playbooks.forms import DeclareForm
from playbooks.models import Alert
from playbooks.views.common import StaffRequest, refuse


def _first_error(form: DeclareForm) -> str:
    for field in ("title", "alert", "crisis_type", "level"):
        if field in form.errors:
            return str(form.errors[field][0])
    return _("Choose a type and a level to declare a crisis.")


def _declaration(request: StaffRequest, form: DeclareForm, *, back: str) -> HttpResponse:
    if not form.is_valid():
        return refuse(request, _first_error(form), back=back)
    data = form.cleaned_data
    alert: Alert | None = data["alert"]
    if not data["confirmed"]:
        preview = selectors.declaration_preview(
            crisis_type=data["crisis_type"],
            level=data["level"],
            alert=alert,
            link_alert_mentions=data["link_alert_mentions"],
            cluster=data["cluster"],
        )
        return render(request, "playbooks/declare_confirm.html", {"form": form, "preview": preview, "back": back})
    try:
        crisis = services.crisis_declare(
            actor=request.user,
            crisis_type=data["crisis_type"],
            level=data["level"],
            title=data["title"],
            alert_id=alert.pk if alert is not None else None,
            link_alert_mentions=data["link_alert_mentions"],
            another_wanted=data["another_wanted"],
            mention_ids=selectors.cluster_mention_ids(cluster=data["cluster"]) if data["cluster"] else (),
            brand=data["cluster"].brand if data["cluster"] else None,
        )
    except services.CrisisError as error:
        return refuse(request, str(error), back=back)
    messages.success(
        request,
        _("Crisis declared: %(title)s. %(count)s mentions linked.")
        % {"title": crisis.title, "count": crisis.mentions.count()},
    )
    return redirect("playbooks:crisis_room", crisis_id=crisis.pk)


@require_POST
@roles_required(*services.DECLARERS)
def crisis_declare(request: StaffRequest) -> HttpResponse:
    """From the crisis list: type, level, title, and optionally the open alert it comes from."""
    return _declaration(request, DeclareForm(request.POST), back=reverse("playbooks:crisis_list"))


@require_POST
@roles_required(*services.DECLARERS)
def alert_declare(request: StaffRequest, alert_id: int) -> HttpResponse:
    """From an alert: its suggested type and level unless the user changed them, and its mentions."""
    alert = get_object_or_404(Alert, pk=alert_id)
    data = request.POST.copy()
    data["alert"] = str(alert.pk)
    data.setdefault("crisis_type", alert.suggested_type)
    data.setdefault("level", str(alert.suggested_level))
    return _declaration(request, DeclareForm(data), back=reverse("playbooks:alert_list"))
