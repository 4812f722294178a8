"""Administrators' "Triage model" page: each brand's model versions, retrain now, roll back."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crisisdesk.models import Role, User
from crisisdesk.roles import roles_required
from inbox.models import Channel, TriageModelStatus, TriageModelTrigger, TriageModelVersion
from inbox.triage.versions import TriageModelError, triage_model_rollback
from inbox.triage_tasks import model_retrain

VERSIONS_SHOWN = 10


@roles_required(Role.ADMIN)
def triage_model_page(request: HttpRequest) -> HttpResponse:
    brands = sorted(
        set(Channel.objects.values_list("brand", flat=True))
        | set(TriageModelVersion.objects.values_list("brand", flat=True))
    )
    versions = TriageModelVersion.objects.defer("artefact", "meta").order_by("brand", "-version")
    rows = []
    for brand in brands:
        shown = [version for version in versions if version.brand == brand][:VERSIONS_SHOWN]
        active = next((version for version in shown if version.status == TriageModelStatus.ACTIVE), None)
        rows.append({"brand": brand, "versions": shown, "active": active, "can_roll_back": active is not None})
    return render(request, "inbox/triage_model.html", {"brands": rows})


@require_POST
@roles_required(Role.ADMIN)
def triage_model_retrain(request: HttpRequest) -> HttpResponse:
    brand = request.POST.get("brand", "").strip()[:80]
    user = request.user
    assert isinstance(user, User)
    model_retrain.delay(brand, TriageModelTrigger.PAGE, user.pk)
    messages.success(
        request,
        _("Retraining %(brand)s's model from its corrections; the new version appears here when it is done.")
        % {"brand": brand},
    )
    return redirect("inbox:triage_model")


@require_POST
@roles_required(Role.ADMIN)
def triage_model_roll_back(request: HttpRequest) -> HttpResponse:
    brand = request.POST.get("brand", "").strip()[:80]
    user = request.user
    assert isinstance(user, User)
    try:
        active = triage_model_rollback(brand=brand, actor=user)
    except TriageModelError:
        messages.error(request, _("%(brand)s already runs the shipped model.") % {"brand": brand})
    else:
        if active is None:
            messages.success(request, _("%(brand)s runs the shipped model again.") % {"brand": brand})
        else:
            messages.success(
                request, _("%(brand)s runs version %(version)s again.") % {"brand": brand, "version": active.version}
            )
    return redirect("inbox:triage_model")
