"""The crisis list, the declaration, and the crisis room with what the team does in it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crisisdesk.roles import CONSOLE_STAFF, EVERYONE, roles_required, user_has_role
from crisisdesk.text import template_render
from playbooks import publishing_selectors, selectors, services
from playbooks.content import content_clean
from playbooks.forms import ChecklistAssignForm, DeclareForm, LevelForm, RoleForm, StatementForm
from playbooks.incident_selectors import crisis_people_assignable, crisis_roles_panel, crisis_team_includes
from playbooks.models import AlertStatus, Crisis
from playbooks.selectors import crisis_banner
from playbooks.views.common import StaffRequest, refuse, run_action

NEXT_UPDATE = timedelta(minutes=30)



@roles_required(*EVERYONE)
def crisis_banner_partial(request: StaffRequest) -> HttpResponse:
    crisis = crisis_banner()
    if crisis is None:
        return HttpResponse("")
    return render(request, "playbooks/_banner.html", {"crisis": crisis})



@require_GET
@roles_required(*CONSOLE_STAFF)
def crisis_list(request: StaffRequest) -> HttpResponse:
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


def _statement_variables() -> dict[str, str]:
    """The holding statement promises the next update in half an hour."""
    next_update = timezone.localtime(timezone.now() + NEXT_UPDATE)
    return {"hora_siguiente_actualizacion": next_update.strftime("%H:%M")}


def _room_context(request: StaffRequest, crisis: Crisis) -> dict[str, Any]:
    content = content_clean(crisis.playbook_content)
    checklist = list(crisis.checklist.all())  # with assignee (selectors.crisis_detail)
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
        statement.approver_states = publishing_selectors.statement_approver_states(statement)
    return {
        "crisis": crisis,
        "content": content,
        "holding_statement": template_render(content["holding_statement"], _statement_variables()),
        "checklist": checklist,
        "progress": round(100 * done / len(checklist)) if checklist else 0,
        "steps_done": done,
        "timeline": selectors.crisis_timeline(crisis_id=crisis.pk),
        "statements": statements,
        "held_posts": publishing_selectors.posts_held(),
        "suspension": publishing_selectors.publishing_suspension_active(),
        "publish_channels": [
            (channel, can_post)
            for channel, can_post in publishing_selectors.publishing_channels()
            if channel.is_enabled
        ],
        "can_act": user_has_role(request.user, services.DECLARERS),
        "can_lead": crisis.is_active and crisis_team_includes(crisis=crisis, user=request.user),
        "roles": crisis_roles_panel(crisis_id=crisis.pk),
        "people": list(crisis_people_assignable()),
    }



@require_GET
@roles_required(*CONSOLE_STAFF)
def crisis_room(request: StaffRequest, crisis_id: int) -> HttpResponse:
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
def crisis_live(request: StaffRequest, crisis_id: int) -> HttpResponse:
    """The parts of the room that change live, rendered (and escaped) on the server."""
    crisis = selectors.crisis_detail(crisis_id=crisis_id)
    if crisis is None:
        raise Http404
    return render(request, "playbooks/_room_live.html", _room_context(request, crisis))


@require_POST
@roles_required(*services.DECLARERS)
def crisis_level(request: StaffRequest, crisis_id: int) -> HttpResponse:
    back = reverse("playbooks:crisis_room", args=[crisis_id])
    form = LevelForm(request.POST)
    if not form.is_valid():
        return refuse(request, _("The level must be 1, 2 or 3."), back=back)
    return run_action(
        request,
        lambda: services.crisis_level_change(
            crisis_id=crisis_id, level=form.cleaned_data["level"], actor=request.user
        ),
        back=back,
    )


@require_POST
@roles_required(*services.DECLARERS)
def crisis_status(request: StaffRequest, crisis_id: int, action: str) -> HttpResponse:
    back = reverse("playbooks:crisis_room", args=[crisis_id])
    actions = {"contain": services.crisis_contain, "resolve": services.crisis_resolve}
    if action not in actions:
        raise Http404
    return run_action(request, lambda: actions[action](crisis_id=crisis_id, actor=request.user), back=back)


@require_POST
@roles_required(*services.DECLARERS)
def checklist_toggle(request: StaffRequest, crisis_id: int, item_id: int) -> HttpResponse:
    back = reverse("playbooks:crisis_room", args=[crisis_id])
    done = request.POST.get("done") == "1"
    return run_action(
        request,
        lambda: services.checklist_item_set(
            crisis_id=crisis_id, item_id=item_id, done=done, actor=request.user
        ),
        back=back,
    )


@require_POST
@roles_required(*services.DECLARERS)
def crisis_role(request: StaffRequest, crisis_id: int, action: str) -> HttpResponse:
    """Name someone to an incident role ("assign") or take it from them ("unassign")."""
    back = reverse("playbooks:crisis_room", args=[crisis_id]) + "#roles"
    actions = {"assign": services.crisis_role_assign, "unassign": services.crisis_role_unassign}
    form = RoleForm(request.POST)
    if action not in actions:
        raise Http404
    if not form.is_valid():
        return refuse(request, _("Choose a role and a person."), back=back)
    return run_action(
        request,
        lambda: actions[action](
            crisis_id=crisis_id,
            role=form.cleaned_data["role"],
            user_id=form.cleaned_data["user"].pk,
            actor=request.user,
        ),
        back=back,
    )


@require_POST
@roles_required(*services.DECLARERS)
def checklist_assign(request: StaffRequest, crisis_id: int, item_id: int) -> HttpResponse:
    back = reverse("playbooks:crisis_room", args=[crisis_id]) + f"#step-{item_id}"
    form = ChecklistAssignForm(request.POST)
    if not form.is_valid():
        return refuse(request, _("Choose a person and a due time such as 2025-06-01 14:30."), back=back)
    assignee = form.cleaned_data["assignee"]
    return run_action(
        request,
        lambda: services.checklist_item_assign(
            crisis_id=crisis_id,
            item_id=item_id,
            actor=request.user,
            assignee_id=assignee.pk if assignee else None,
            due_at=form.cleaned_data["due_at"],
        ),
        back=back,
    )
