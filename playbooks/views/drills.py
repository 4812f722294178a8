"""Drill pages (administrators and directors): the list and "Start a drill", a drill's results, its end,
and the playbook revision its findings propose. Department heads never see them; they get the drill's
requests on their desk, marked as a drill."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crisisdesk.models import Role
from crisisdesk.roles import roles_required
from playbooks import drill_scores, services
from playbooks.forms import RevisionForm
from playbooks.forms_drills import DrillStartForm
from playbooks.models_drills import Drill
from playbooks.views.common import StaffRequest, refuse, run_action

DRILL_LEADS = (Role.ADMIN, Role.DIRECTOR)
DRILLS_SHOWN = 50


@require_http_methods(["GET", "POST"])
@roles_required(*DRILL_LEADS)
def drill_list(request: StaffRequest) -> HttpResponse:
    form = DrillStartForm(request.POST or None)
    if request.method == "POST":
        back = reverse("playbooks:drill_list")
        if not form.is_valid():
            return refuse(request, " ".join(str(error) for error in form.errors.values()), back=back)
        data = form.cleaned_data
        try:
            drill = services.drill_start(
                actor=request.user, compression=data["compression"],
                crisis_id=data["crisis"].pk if data.get("crisis") else None, brand=data.get("brand") or "",
                window_start=data.get("window_start"), window_end=data.get("window_end"),
                playbook_id=data["playbook"].pk if data.get("playbook") else None,
            )
        except services.CrisisError as error:
            return refuse(request, str(error), back=back)
        return redirect("playbooks:drill_detail", drill_id=drill.pk)
    drills = Drill.objects.select_related("playbook", "source_crisis", "started_by")[:DRILLS_SHOWN]
    return render(request, "playbooks/drill_list.html", {"form": form, "drills": drills})


@require_http_methods(["GET"])
@roles_required(*DRILL_LEADS)
def drill_detail(request: StaffRequest, drill_id: int) -> HttpResponse:
    drill = Drill.objects.select_related("playbook", "source_crisis", "channel").filter(pk=drill_id).first()
    if drill is None:
        raise Http404
    now = timezone.now()
    scores = drill_scores.drill_scores(drill, now=drill.ended_at or now)
    previous = drill_scores.drill_previous(drill)
    previous_scores = drill_scores.drill_scores(previous, now=previous.ended_at or now) if previous else []
    findings = drill_scores.drill_findings(scores)
    late = next((score for score in scores if score.acknowledged_late), None)
    form = RevisionForm(
        initial={
            "case": "\n".join(findings),
            "step_text": (
                _("If %(department)s has not acknowledged within %(minutes)d min, call its person on duty.")
                % {"department": late.department, "minutes": round((late.allowed_acknowledge_seconds or 0) / 60)}
                if late
                else ""
            ),
            "minutes": round((late.allowed_acknowledge_seconds or 0) / 60) if late else 0,
        }
    )
    return render(
        request,
        "playbooks/drill_detail.html",
        {
            "drill": drill,
            "scores": scores,
            "previous": previous,
            "comparison": drill_scores.drill_comparison(scores, previous_scores) if previous else [],
            "findings": findings,
            "form": form,
            "revisions": drill.revisions.order_by("-created_at"),
        },
    )


@require_POST
@roles_required(*DRILL_LEADS)
def drill_end(request: StaffRequest, drill_id: int) -> HttpResponse:
    back = reverse("playbooks:drill_detail", args=[drill_id])
    return run_action(
        request, lambda: services.drill_end(drill_id=drill_id, actor=request.user), back=back,
        done=_("The drill ended; its scores are kept."),
    )


@require_POST
@roles_required(*DRILL_LEADS)
def drill_revision(request: StaffRequest, drill_id: int) -> HttpResponse:
    back = reverse("playbooks:drill_detail", args=[drill_id])
    form = RevisionForm(request.POST)
    if not form.is_valid():
        return refuse(request, _("Describe the case and propose a step or a principle."), back=back)
    return run_action(
        request,
        lambda: services.playbook_revision_propose_for_drill(
            drill_id=drill_id, actor=request.user, **form.cleaned_data
        ),
        back=back,
        done=_("The drill's findings were recorded as a proposed playbook revision."),
    )
