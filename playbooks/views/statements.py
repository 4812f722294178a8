"""Statements in the crisis room: written by the crisis team, decided by the playbook's approvers."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crisisdesk.roles import CONSOLE_STAFF, roles_required
from playbooks import services
from playbooks.forms import StatementDecisionForm, StatementForm
from playbooks.publishing_forms import StatementPublishForm
from playbooks.publishing_selectors import publishing_channels
from playbooks.views.common import StaffRequest, refuse, run_action


@require_POST
@roles_required(*services.DECLARERS)
def statement_submit(request: StaffRequest, crisis_id: int) -> HttpResponse:
    back = reverse("playbooks:crisis_room", args=[crisis_id])
    form = StatementForm(request.POST)
    if not form.is_valid():
        return refuse(request, _("The statement is empty or too long."), back=back)
    return run_action(
        request,
        lambda: services.statement_submit(
            crisis_id=crisis_id, author=request.user, body=form.cleaned_data["body"]
        ),
        back=back,
        done=_("The statement is waiting for approval."),
    )


@require_POST
@roles_required(*CONSOLE_STAFF)
def statement_decide(request: StaffRequest, crisis_id: int, statement_id: int) -> HttpResponse:
    back = reverse("playbooks:crisis_room", args=[crisis_id])
    form = StatementDecisionForm(request.POST)
    if not form.is_valid():
        return refuse(request, _("Approve or send back, with a comment."), back=back)
    return run_action(
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


@require_POST
@roles_required(*services.DECLARERS)
def statement_publish(request: StaffRequest, crisis_id: int, statement_id: int) -> HttpResponse:
    """Publish an approved statement on the chosen channels, with the composer's checks for each."""
    back = reverse("playbooks:crisis_room", args=[crisis_id])
    choices = [(channel.pk, channel.name) for channel, can_post in publishing_channels()]
    form = StatementPublishForm(request.POST, channels=choices)
    if not form.is_valid():
        return refuse(request, _("Choose the channels to publish the statement on."), back=back)
    return run_action(
        request,
        lambda: services.statement_publish(
            crisis_id=crisis_id,
            statement_id=statement_id,
            actor=request.user,
            channel_ids=form.cleaned_data["channels"],
        ),
        back=back,
        done=_("The statement is being published."),
    )
