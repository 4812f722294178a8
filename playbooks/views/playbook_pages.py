"""Playbook pages: the list, one playbook, its editor (admins) and its history with proposed revisions."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crisisdesk.roles import CONSOLE_STAFF, roles_required
from playbooks import selectors, services
from playbooks.content import content_clean
from playbooks.forms import PlaybookForm
from playbooks.models import Playbook, PlaybookRevision
from playbooks.views.common import ADMINS, StaffRequest, run_action


@require_GET
@roles_required(*CONSOLE_STAFF)
def playbook_list(request: StaffRequest) -> HttpResponse:
    return render(
        request,
        "playbooks/playbook_list.html",
        {"playbooks": list(selectors.playbook_list()), "revisions": list(selectors.revisions_proposed())},
    )


@require_GET
@roles_required(*CONSOLE_STAFF)
def playbook_detail(request: StaffRequest, playbook_id: int) -> HttpResponse:
    playbook = get_object_or_404(Playbook, pk=playbook_id)
    version = selectors.playbook_latest(playbook)
    content = content_clean(version.content if version else {})
    return render(
        request,
        "playbooks/playbook_detail.html",
        {
            "playbook": playbook,
            "version": version,
            "content": content,
            "department_names": selectors.department_names(content["departments"]),
        },
    )


@require_http_methods(["GET", "POST"])
@roles_required(*ADMINS)
def playbook_edit(request: StaffRequest, playbook_id: int) -> HttpResponse:
    playbook = get_object_or_404(Playbook, pk=playbook_id)
    version = selectors.playbook_latest(playbook)
    if request.method == "POST":
        form = PlaybookForm(request.POST)
        if form.is_valid():
            try:
                services.playbook_version_create(
                    playbook_id=playbook.pk,
                    content=form.cleaned_content,
                    actor=request.user,
                    note=form.cleaned_data["note"],
                )
            except services.CrisisError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("New version saved."))
                return redirect("playbooks:playbook_history", playbook_id=playbook.pk)
        return render(
            request, "playbooks/playbook_edit.html", {"playbook": playbook, "form": form}, status=400
        )
    form = PlaybookForm(initial=PlaybookForm.initial_from(version.content if version else {}))
    return render(
        request, "playbooks/playbook_edit.html", {"playbook": playbook, "form": form, "version": version}
    )


@require_GET
@roles_required(*CONSOLE_STAFF)
def playbook_history(request: StaffRequest, playbook_id: int) -> HttpResponse:
    playbook = get_object_or_404(Playbook, pk=playbook_id)
    revisions = []
    for revision in selectors.revisions_proposed(playbook=playbook):
        _latest, _proposed, diff = services.revision_preview(revision)
        revisions.append({"revision": revision, "diff": diff})
    return render(
        request,
        "playbooks/playbook_history.html",
        {
            "playbook": playbook,
            "history": selectors.playbook_history(playbook=playbook),
            "revisions": revisions,
        },
    )


@require_POST
@roles_required(*ADMINS)
def revision_decide(request: StaffRequest, revision_id: int, action: str) -> HttpResponse:
    revision = get_object_or_404(PlaybookRevision, pk=revision_id)
    back = reverse("playbooks:playbook_history", args=[revision.playbook_id])
    if action == "accept":
        return run_action(
            request,
            lambda: services.playbook_revision_accept(revision_id=revision.pk, actor=request.user),
            back=back,
            done=_("Revision accepted: a new version was created."),
        )
    if action == "reject":
        return run_action(
            request,
            lambda: services.playbook_revision_reject(revision_id=revision.pk, actor=request.user),
            back=back,
        )
    raise Http404
