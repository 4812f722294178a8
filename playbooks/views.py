"""Crisis room, crisis list, alerts, playbooks and review pages: validate, call a service, render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crisisdesk.models import Role
from crisisdesk.roles import CONSOLE_STAFF, EVERYONE, roles_required, user_has_role
from playbooks import outbox, selectors, services
from playbooks.content import content_clean, template_render
from playbooks.forms import (
    DeclareForm,
    LevelForm,
    PlaybookForm,
    RevisionForm,
    StatementDecisionForm,
    StatementForm,
)
from playbooks.models import Alert, AlertStatus, Crisis, CrisisType, Playbook, PlaybookRevision
from playbooks.selectors import crisis_banner

ADMINS = (Role.ADMIN,)
NEXT_UPDATE = timedelta(minutes=30)


def _refuse(request: HttpRequest, message: str, *, back: str, status: int = 400) -> HttpResponse:
    """Bad input answers 4xx with the reason and a way back; nothing was written."""
    return render(request, "playbooks/refused.html", {"message": message, "back": back}, status=status)


def _run(
    request: HttpRequest, action: Callable[[], object], *, back: str, done: str | None = None
) -> HttpResponse:
    try:
        action()
    except services.CrisisNotFound as error:
        raise Http404(str(error)) from error
    except services.CrisisForbidden as error:
        return _refuse(request, _(str(error)), back=back, status=403)
    except (services.CrisisError, outbox.OutboxError) as error:
        return _refuse(request, _(str(error)), back=back)
    if done:
        messages.success(request, done)
    return redirect(back)


@roles_required(*EVERYONE)
def crisis_banner_partial(request: HttpRequest) -> HttpResponse:
    crisis = crisis_banner()
    if crisis is None:
        return HttpResponse("")
    return render(request, "playbooks/_banner.html", {"crisis": crisis})


# Crises -----------------------------------------------------------------------------------------


@require_GET
@roles_required(*CONSOLE_STAFF)
def crisis_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "playbooks/crisis_list.html",
        {
            "crises": list(selectors.crisis_list()[:100]),
            "declare_form": DeclareForm(),
            "awaiting": selectors.statements_awaiting(user=request.user),
            "open_alerts": selectors.alert_list(status=AlertStatus.OPEN)[:5],
        },
    )


@require_POST
@roles_required(*services.DECLARERS)
def crisis_declare(request: HttpRequest) -> HttpResponse:
    form = DeclareForm(request.POST)
    back = reverse("playbooks:crisis_list")
    if not form.is_valid():
        if "title" in form.errors:
            return _refuse(request, form.errors["title"][0], back=back)
        return _refuse(request, _("Choose a type and a level to declare a crisis."), back=back)
    try:
        crisis = services.crisis_declare(actor=request.user, **form.cleaned_data)
    except services.CrisisError as error:
        return _refuse(request, _(str(error)), back=back)
    return redirect("playbooks:crisis_room", crisis_id=crisis.pk)


def _statement_variables() -> dict[str, str]:
    """The holding statement promises the next update in half an hour."""
    next_update = timezone.localtime(timezone.now() + NEXT_UPDATE)
    return {"hora_siguiente_actualizacion": next_update.strftime("%H:%M")}


def _room_context(request: HttpRequest, crisis) -> dict:
    content = content_clean(crisis.playbook_content)
    checklist = list(crisis.checklist.all())
    done = sum(1 for item in checklist if item.is_done)
    statements = selectors.crisis_statements(crisis_id=crisis.pk)
    for statement in statements:
        decided = {decision.approver_id for decision in statement.decisions.all()}
        approvers = list(statement.approvers.all())
        statement.needs_approver = statement.status == "pending" and not any(
            user.pk != statement.author_id for user in approvers
        )
        statement.can_decide = (
            statement.status == "pending"
            and statement.author_id != request.user.pk
            and any(user.pk == request.user.pk for user in approvers)
            and request.user.pk not in decided
        )
    return {
        "crisis": crisis,
        "content": content,
        "holding_statement": template_render(content["holding_statement"], _statement_variables()),
        "checklist": checklist,
        "progress": round(100 * done / len(checklist)) if checklist else 0,
        "steps_done": done,
        "timeline": selectors.crisis_timeline(crisis_id=crisis.pk),
        "statements": statements,
        "frozen_posts": selectors.frozen_posts(),
        "pending_posts": selectors.scheduled_posts_pending(),
        "can_act": user_has_role(request.user, services.DECLARERS),
    }


@require_GET
@roles_required(*CONSOLE_STAFF)
def crisis_room(request: HttpRequest, crisis_id: int) -> HttpResponse:
    crisis = selectors.crisis_detail(crisis_id=crisis_id)
    if crisis is None:
        raise Http404
    context = _room_context(request, crisis)
    context.update(
        {
            "mentions": selectors.crisis_mentions(crisis=crisis),
            "failed_deliveries": selectors.crisis_notifications_failed_count(crisis_id=crisis.pk),
            "level_form": LevelForm(initial={"level": crisis.level}),
            "statement_form": StatementForm(initial={"body": context["holding_statement"]}),
        }
    )
    return render(request, "playbooks/crisis_room.html", context)


@require_GET
@roles_required(*CONSOLE_STAFF)
def crisis_live(request: HttpRequest, crisis_id: int) -> HttpResponse:
    """The parts of the room that change live, rendered (and escaped) on the server."""
    crisis = selectors.crisis_detail(crisis_id=crisis_id)
    if crisis is None:
        raise Http404
    return render(request, "playbooks/_room_live.html", _room_context(request, crisis))


@require_POST
@roles_required(*services.DECLARERS)
def crisis_level(request: HttpRequest, crisis_id: int) -> HttpResponse:
    back = reverse("playbooks:crisis_room", args=[crisis_id])
    form = LevelForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _("The level must be 1, 2 or 3."), back=back)
    return _run(
        request,
        lambda: services.crisis_level_change(
            crisis_id=crisis_id, level=form.cleaned_data["level"], actor=request.user
        ),
        back=back,
    )


@require_POST
@roles_required(*services.DECLARERS)
def crisis_status(request: HttpRequest, crisis_id: int, action: str) -> HttpResponse:
    back = reverse("playbooks:crisis_room", args=[crisis_id])
    actions = {"contain": services.crisis_contain, "resolve": services.crisis_resolve}
    if action not in actions:
        raise Http404
    return _run(request, lambda: actions[action](crisis_id=crisis_id, actor=request.user), back=back)


@require_POST
@roles_required(*services.DECLARERS)
def checklist_toggle(request: HttpRequest, crisis_id: int, item_id: int) -> HttpResponse:
    back = reverse("playbooks:crisis_room", args=[crisis_id])
    done = request.POST.get("done") == "1"
    return _run(
        request,
        lambda: services.checklist_item_set(
            crisis_id=crisis_id, item_id=item_id, done=done, actor=request.user
        ),
        back=back,
    )


@require_POST
@roles_required(*services.DECLARERS)
def crisis_posts(request: HttpRequest, crisis_id: int, action: str) -> HttpResponse:
    """The freeze switch for scheduled posts."""
    crisis = get_object_or_404(Crisis, pk=crisis_id)
    back = reverse("playbooks:crisis_room", args=[crisis_id])
    if action == "freeze":
        return _run(
            request,
            lambda: outbox.scheduled_posts_freeze(actor=request.user, crisis=crisis),
            back=back,
            done=_("Scheduled posts frozen."),
        )
    if action == "release":
        return _run(
            request,
            lambda: outbox.scheduled_posts_release(actor=request.user, crisis=crisis),
            back=back,
            done=_("Scheduled posts released."),
        )
    raise Http404


@require_POST
@roles_required(*services.DECLARERS)
def statement_submit(request: HttpRequest, crisis_id: int) -> HttpResponse:
    back = reverse("playbooks:crisis_room", args=[crisis_id])
    form = StatementForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _("The statement is empty or too long."), back=back)
    return _run(
        request,
        lambda: services.statement_submit(
            crisis_id=crisis_id, author=request.user, body=form.cleaned_data["body"]
        ),
        back=back,
        done=_("The statement is waiting for approval."),
    )


@require_POST
@roles_required(*CONSOLE_STAFF)
def statement_decide(request: HttpRequest, crisis_id: int, statement_id: int) -> HttpResponse:
    back = reverse("playbooks:crisis_room", args=[crisis_id])
    form = StatementDecisionForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _("Approve or send back, with a comment."), back=back)
    return _run(
        request,
        lambda: services.statement_decide(
            crisis_id=crisis_id,
            statement_id=statement_id,
            approver=request.user,
            approve=form.cleaned_data["decision"] == "approve",
            comment=form.cleaned_data["comment"],
        ),
        back=back,
    )


@require_http_methods(["GET", "POST"])
@roles_required(*CONSOLE_STAFF)
def crisis_review(request: HttpRequest, crisis_id: int) -> HttpResponse:
    crisis = selectors.crisis_detail(crisis_id=crisis_id)
    if crisis is None:
        raise Http404
    back = reverse("playbooks:crisis_review", args=[crisis_id])
    form = RevisionForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _refuse(request, _("Describe the case and propose a step or a principle."), back=back)
        return _run(
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
        },
    )


@require_POST
@roles_required(*services.DECLARERS)
def crisis_review_complete(request: HttpRequest, crisis_id: int) -> HttpResponse:
    back = reverse("playbooks:crisis_review", args=[crisis_id])
    notes = request.POST.get("notes", "")[:5000]
    return _run(
        request,
        lambda: services.crisis_review_complete(crisis_id=crisis_id, actor=request.user, notes=notes),
        back=back,
    )


# Alerts -----------------------------------------------------------------------------------------


@require_GET
@roles_required(*CONSOLE_STAFF)
def alert_list(request: HttpRequest) -> HttpResponse:
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
def alert_declare(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Declare a crisis from an alert, with its suggested type and level unless the user changed them."""
    alert = get_object_or_404(Alert, pk=alert_id)
    back = reverse("playbooks:alert_list")
    form = DeclareForm(request.POST or None, initial={})
    data = {"title": "", "crisis_type": alert.suggested_type, "level": alert.suggested_level}
    if "title" in form.errors:
        return _refuse(request, form.errors["title"][0], back=back)
    if form.is_valid():
        data.update({key: value for key, value in form.cleaned_data.items() if value})
    try:
        crisis = services.crisis_declare(actor=request.user, alert_id=alert.pk, **data)
    except services.CrisisError as error:
        return _refuse(request, _(str(error)), back=back)
    return redirect("playbooks:crisis_room", crisis_id=crisis.pk)


# Playbooks --------------------------------------------------------------------------------------


@require_GET
@roles_required(*CONSOLE_STAFF)
def playbook_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "playbooks/playbook_list.html",
        {"playbooks": list(selectors.playbook_list()), "revisions": list(selectors.revisions_proposed())},
    )


@require_GET
@roles_required(*CONSOLE_STAFF)
def playbook_detail(request: HttpRequest, playbook_id: int) -> HttpResponse:
    playbook = get_object_or_404(Playbook, pk=playbook_id)
    version = selectors.playbook_latest(playbook)
    return render(
        request,
        "playbooks/playbook_detail.html",
        {
            "playbook": playbook,
            "version": version,
            "content": content_clean(version.content if version else {}),
        },
    )


@require_http_methods(["GET", "POST"])
@roles_required(*ADMINS)
def playbook_edit(request: HttpRequest, playbook_id: int) -> HttpResponse:
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
                form.add_error(None, _(str(error)))
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
def playbook_history(request: HttpRequest, playbook_id: int) -> HttpResponse:
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
def revision_decide(request: HttpRequest, revision_id: int, action: str) -> HttpResponse:
    revision = get_object_or_404(PlaybookRevision, pk=revision_id)
    back = reverse("playbooks:playbook_history", args=[revision.playbook_id])
    if action == "accept":
        return _run(
            request,
            lambda: services.playbook_revision_accept(revision_id=revision.pk, actor=request.user),
            back=back,
            done=_("Revision accepted: a new version was created."),
        )
    if action == "reject":
        return _run(
            request,
            lambda: services.playbook_revision_reject(revision_id=revision.pk, actor=request.user),
            back=back,
        )
    raise Http404
