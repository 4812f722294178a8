"""Escalation pages: the department heads' desk and the community managers' "Escalate" action.

Views validate, authorise with a selector and call one service. Partials are rendered on the
server (and so escaped) for the live updates; the browser never builds HTML from event data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crisisdesk.models import Role, User
from crisisdesk.roles import CONSOLE_STAFF, EVERYONE, roles_required, user_role
from escalation import selectors, selectors_oncall, services
from escalation.forms import AcknowledgeForm, AnswerForm, EscalateForm, form_errors
from escalation.models import EscalationRequest
from escalation.silence import silence_attach
from inbox.models import Mention

ANSWERERS = (Role.DEPARTMENT_HEAD, Role.DIRECTOR, Role.ADMIN)
RAISERS = (Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN)


def _signed_in(request: HttpRequest) -> User:
    """The user of a page behind `roles_required`, which has sent anonymous visitors to log in."""
    return cast(User, request.user)


def _decorate(user: User, requests: list[EscalationRequest]) -> list[EscalationRequest]:
    """Mark what this user may do on each card, so the template needs no permission logic."""
    for item in requests:
        item.may_answer = selectors.user_may_answer(user=user, request=item)
        item.may_close = selectors.user_may_close(user=user, request=item)
    return silence_attach(requests=requests)


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


def _visible_or_404(request: HttpRequest, request_id: int) -> EscalationRequest:
    item = selectors.escalation_request_for(user=_signed_in(request), request_id=request_id)
    if item is None:
        raise Http404
    return item


@require_GET
@roles_required(*EVERYONE)
def desk(request: HttpRequest) -> HttpResponse:
    user = _signed_in(request)
    escalations = _decorate(user, list(selectors.escalation_desk(user=user)))
    return render(
        request,
        "escalation/desk.html",
        {
            "departments": selectors.departments_for_user(user=user)
            if user_role(user) == Role.DEPARTMENT_HEAD
            else [],
            "escalations": escalations,
            "failed_deliveries": selectors.notifications_failed_count(
                request_ids=[item.pk for item in escalations]
            ),
            "history": selectors.escalation_history(user=user),
            "on_call": selectors_oncall.on_call_now(user=user),
            "return_to": reverse("escalation:desk"),
        },
    )


@require_GET
@roles_required(*EVERYONE)
def desk_cards(request: HttpRequest) -> HttpResponse:
    """Pending cards newer than `after`, for a desk that heard `escalation.created`."""
    after = request.GET.get("after", "")
    user = _signed_in(request)
    queryset = selectors.escalation_desk(user=user)
    items = [item for item in queryset if not after.isdigit() or item.pk > int(after)]
    return render(
        request,
        "escalation/_cards.html",
        {"escalations": _decorate(user, items), "return_to": reverse("escalation:desk")},
    )


@require_GET
@roles_required(*EVERYONE)
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    item = _visible_or_404(request, request_id)
    return render(
        request,
        "escalation/detail.html",
        {
            "escalation": _decorate(_signed_in(request), [item])[0],
            "return_to": reverse("escalation:detail", args=[item.pk]),
            "open_history": True,
        },
    )


@require_GET
@roles_required(*EVERYONE)
def request_card(request: HttpRequest, request_id: int) -> HttpResponse:
    item = _visible_or_404(request, request_id)
    single = request.GET.get("single") == "1"
    return_to = reverse("escalation:detail", args=[item.pk]) if single else reverse("escalation:desk")
    return render(
        request,
        "escalation/_request_card.html",
        {"escalation": _decorate(_signed_in(request), [item])[0], "return_to": return_to, "open_history": single},
    )


@require_GET
@roles_required(*EVERYONE)
def request_silence(request: HttpRequest, request_id: int) -> HttpResponse:
    """The card's cost-of-silence line, refreshed every 30 s while the card is on screen."""
    item = _visible_or_404(request, request_id)
    return render(
        request, "escalation/_silence.html", {"escalation": silence_attach(requests=[item])[0], "silence_refresh": True}
    )


def _act(request: HttpRequest, request_id: int, action: Callable[[], object], done: str) -> HttpResponse:
    _visible_or_404(request, request_id)
    try:
        action()
    except services.EscalationPermissionError as error:
        raise PermissionDenied(str(error)) from error
    except services.EscalationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return _back(request, reverse("escalation:desk"))


@require_POST
@roles_required(*ANSWERERS)
def request_acknowledge(request: HttpRequest, request_id: int) -> HttpResponse:
    """Acknowledge with a promised answer time (or move that time: a snooze)."""
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        _visible_or_404(request, request_id)
        messages.error(request, form_errors(form))
        return _back(request, reverse("escalation:desk"))
    return _act(
        request,
        request_id,
        lambda: services.escalation_request_acknowledge(
            request_id=request_id,
            actor=_signed_in(request),
            promised_at=form.cleaned_data["promised_at"],
            holding_line=form.cleaned_data["holding_line"],
        ),
        _("Acknowledged: the chain waits until the promised time."),
    )


@require_POST
@roles_required(*ANSWERERS)
def request_answer(request: HttpRequest, request_id: int) -> HttpResponse:
    form = AnswerForm(request.POST)
    if not form.is_valid():
        _visible_or_404(request, request_id)
        messages.error(request, form_errors(form))
        return _back(request, reverse("escalation:desk"))
    return _act(
        request,
        request_id,
        lambda: services.escalation_answer_create(
            request_id=request_id,
            author=_signed_in(request),
            text=form.cleaned_data["text"],
            is_approved_wording=form.cleaned_data["is_approved_wording"],
        ),
        _("Answer sent."),
    )


@require_POST
@roles_required(*EVERYONE)
def request_close(request: HttpRequest, request_id: int) -> HttpResponse:
    return _act(
        request,
        request_id,
        lambda: services.escalation_request_close(request_id=request_id, actor=_signed_in(request)),
        _("Request closed."),
    )


@require_POST
@roles_required(*RAISERS)
def mention_escalate(request: HttpRequest, mention_id: int) -> HttpResponse:
    if not Mention.objects.filter(pk=mention_id).exists():
        raise Http404
    form = EscalateForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("inbox:detail", mention_id=mention_id)
    minutes = form.cleaned_data["due_in_minutes"]
    try:
        services.escalation_request_create(
            raised_by=_signed_in(request),
            department=form.cleaned_data["department"],
            question=form.cleaned_data["question"],
            mention_ids=[mention_id],
            due_at=timezone.now() + timedelta(minutes=minutes) if minutes else None,
        )
    except services.EscalationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Escalated to %(department)s.") % {"department": form.cleaned_data["department"]}
        )
    return redirect("inbox:detail", mention_id=mention_id)


@require_http_methods(["GET", "POST"])
@roles_required(*RAISERS)
def cluster_escalate(request: HttpRequest, cluster_id: int) -> HttpResponse:
    """Escalate a whole crisis cluster: GET is the form the cluster page loads, POST raises one request
    with the cluster's open mentions."""
    if request.method == "GET":
        return render(request, "escalation/_cluster_escalate.html", {"form": EscalateForm(), "cluster_id": cluster_id})
    form = EscalateForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("inbox:cluster", cluster_id=cluster_id)
    minutes = form.cleaned_data["due_in_minutes"]
    try:
        services.cluster_escalate(
            cluster_id=cluster_id,
            raised_by=_signed_in(request),
            department=form.cleaned_data["department"],
            question=form.cleaned_data["question"],
            due_at=timezone.now() + timedelta(minutes=minutes) if minutes else None,
        )
    except services.EscalationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Escalated to %(department)s.") % {"department": form.cleaned_data["department"]}
        )
    return redirect("inbox:cluster", cluster_id=cluster_id)


@require_GET
@roles_required(*CONSOLE_STAFF)
def mention_panel(request: HttpRequest, mention_id: int) -> HttpResponse:
    """The escalations of one mention with their answers, re-fetched when one of them changes."""
    return render(
        request,
        "escalation/_mention_status.html",
        {"escalations": selectors.escalations_for_mention(mention_id=mention_id), "mention_id": mention_id},
    )
