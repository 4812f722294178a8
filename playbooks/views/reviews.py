"""The review of a resolved crisis: its figures, its timeline, and the cases the playbook missed."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crisisdesk.roles import CONSOLE_STAFF, roles_required
from escalation.responsiveness import department_responsiveness
from playbooks import selectors, services
from playbooks.forms import RevisionForm
from playbooks.views.common import StaffRequest, refuse, run_action


@require_http_methods(["GET", "POST"])
@roles_required(*CONSOLE_STAFF)
def crisis_review(request: StaffRequest, crisis_id: int) -> HttpResponse:
    crisis = selectors.crisis_detail(crisis_id=crisis_id)
    if crisis is None:
        raise Http404
    back = reverse("playbooks:crisis_review", args=[crisis_id])
    form = RevisionForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return refuse(request, _("Describe the case and propose a step or a principle."), back=back)
        return run_action(
            request,
            lambda: services.playbook_revision_propose(
                crisis_id=crisis_id, actor=request.user, **form.cleaned_data
            ),
            back=back,
            done=_("The case was recorded as a proposed playbook revision."),
        )
    return render(
        request,
        "playbooks/review.html",
        {
            "crisis": crisis,
            "review": selectors.crisis_review(crisis=crisis),
            "form": form,
            "timeline": selectors.crisis_timeline(crisis_id=crisis.pk),
            "responsiveness": department_responsiveness(user=request.user, days=None, crisis_id=crisis.pk),
        },
    )


@require_POST
@roles_required(*services.DECLARERS)
def crisis_review_complete(request: StaffRequest, crisis_id: int) -> HttpResponse:
    back = reverse("playbooks:crisis_review", args=[crisis_id])
    notes = request.POST.get("notes", "")[:5000]
    return run_action(
        request,
        lambda: services.crisis_review_complete(crisis_id=crisis_id, actor=request.user, notes=notes),
        back=back,
    )
