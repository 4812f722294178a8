"""The phone page a notification's signed link opens, and Slack's interactions endpoint.

Both are public routes with their own credential: the signed link (`services.links`, decision in
docs/ESCALATION.md) and Slack's request signature (`escalation.slack`). Views validate and call
one service; a refused link or signature writes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from crisisdesk.roles import public
from escalation import selectors, services, slack
from escalation.forms import AcknowledgeForm, AnswerForm, form_errors, promise_default
from escalation.models import EscalationRequest
from escalation.services.link_actions import ACTION_ACKNOWLEDGE, ACTION_ANSWER
from escalation.silence import silence_attach


def _visitor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) and request.user.is_authenticated else None


def _refused(request: HttpRequest, reason: str, *, status: int = 403) -> HttpResponse:
    return render(request, "escalation/respond_refused.html", {"reason": reason}, status=status)


def _page(request: HttpRequest, request_id: int, token: str, *, error: str = "", status: int = 200) -> HttpResponse:
    """The page of one request for the link's person; the refusal page for a link that does not open it."""
    try:
        grant = services.request_link_read(token=token, request_id=request_id)
    except services.LinkRefused as refusal:
        return _refused(request, str(refusal))
    actor = services.link_actor(grant=grant, visitor=_visitor(request))
    if actor is None and grant.user_id is None:
        return redirect_to_login(request.get_full_path())
    item = selectors.escalation_request_page(request_id=request_id)
    if item is None or actor is None or not selectors.user_may_answer(user=actor, request=item):
        return _refused(request, _("This link does not let you act on this request."))
    used = services.link_used_actions(grant=grant)
    silence_attach(requests=[item])
    return render(
        request,
        "escalation/respond.html",
        {
            "escalation": item,
            "actor": actor,
            "token": token,
            "error": error,
            "may_acknowledge": item.is_pending and ACTION_ACKNOWLEDGE not in used,
            "may_answer": item.status != "closed" and ACTION_ANSWER not in used,
            "promise_default": promise_default(),
            "mentions": (item.context or {}).get("mentions", []),
        },
        status=status,
    )


@public
@require_GET
def respond(request: HttpRequest, request_id: int, token: str) -> HttpResponse:
    """The request's phone page: question, mentions, the author's history, what happened, and the forms."""
    return _page(request, request_id, token)


def _act(request: HttpRequest, request_id: int, token: str, action: str) -> HttpResponse:
    try:
        grant = services.request_link_read(token=token, request_id=request_id)
    except services.LinkRefused as refusal:
        return _refused(request, str(refusal))
    try:
        if action == ACTION_ACKNOWLEDGE:
            done = _acknowledge(request, grant)
        else:
            done = _answer(request, grant)
    except (services.EscalationPermissionError, services.LinkRefused) as error:
        return _refused(request, str(error))
    except services.EscalationError as error:
        return _page(request, request_id, token, error=str(error), status=400)
    messages.success(request, done)
    return HttpResponseRedirect(reverse("escalation:respond", args=[request_id, token]))


def _acknowledge(request: HttpRequest, grant: services.LinkGrant) -> str:
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        raise services.EscalationError(form_errors(form))
    services.escalation_link_acknowledge(
        grant=grant,
        visitor=_visitor(request),
        promised_at=form.cleaned_data["promised_at"],
        holding_line=form.cleaned_data["holding_line"],
    )
    return _("Acknowledged: the chain waits until the promised time.")


def _answer(request: HttpRequest, grant: services.LinkGrant) -> str:
    form = AnswerForm(request.POST)
    if not form.is_valid():
        raise services.EscalationError(form_errors(form))
    services.escalation_link_answer(
        grant=grant,
        visitor=_visitor(request),
        text=form.cleaned_data["text"],
        is_approved_wording=form.cleaned_data["is_approved_wording"],
    )
    return _("Answer sent.")


@public
@require_POST
def respond_acknowledge(request: HttpRequest, request_id: int, token: str) -> HttpResponse:
    return _act(request, request_id, token, ACTION_ACKNOWLEDGE)


@public
@require_POST
def respond_answer(request: HttpRequest, request_id: int, token: str) -> HttpResponse:
    return _act(request, request_id, token, ACTION_ANSWER)


@public
@csrf_exempt
@require_POST
def slack_interactions(request: HttpRequest) -> HttpResponse:
    """Slack's interactivity request URL: verified (v0 signature, five minutes), then acknowledged.

    The message's buttons are url buttons that open the signed page; Slack still posts each click
    here. A verified click on an escalation button is audited; a click on a button another app
    registered (`slack.slack_action_handler_register`: an alert's "Acknowledge") goes to its handler.
    Anything unsigned writes nothing.
    """
    if not slack.signature_valid(
        body=request.body,
        timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
        signature=request.headers.get("X-Slack-Signature", ""),
    ):
        return JsonResponse({"error": "invalid signature"}, status=401)
    payload = request.POST.get("payload", "")
    for click in slack.escalation_clicks(payload):
        target = EscalationRequest.objects.filter(pk=click.request_id).first()
        if target is not None:
            audit_record(
                actor=None,
                verb="escalation.slack_click",
                target=target,
                data={"action": click.action_id, "slack_user": click.slack_user},
            )
    slack.slack_actions_dispatch(payload)  # buttons of higher apps' messages (alerts), each verifying its value
    return HttpResponse(status=200)
