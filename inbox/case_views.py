"""Case pages: the list, one case, and the community manager's actions on it (each one service call).

Community managers, directors and administrators see cases; department heads do not (they answer
escalations, not customers). Only community managers and administrators act.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crisisdesk.models import Role, User
from crisisdesk.roles import CONSOLE_STAFF, roles_required
from inbox import case_selectors, services
from inbox.connectors import capabilities_for
from inbox.helpdesk import helpdesk_config
from inbox.models_cases import Case, CasePriority, CaseStatus, DeliveryKind

ACTORS = (Role.COMMUNITY_MANAGER, Role.ADMIN)
STATUS_FILTERS = [("active", gettext_lazy("Open and handed off")), *CaseStatus.choices, ("all", gettext_lazy("All"))]


def _signed_in(request: HttpRequest) -> User:
    return cast(User, request.user)


def _case_or_404(number: str) -> Case:
    case = case_selectors.case_detail(number=number)
    if case is None:
        raise Http404(_("That case does not exist."))
    return case


@roles_required(*CONSOLE_STAFF)
def cases_page(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "active")
    cases = case_selectors.case_list(status="" if status == "all" else status)
    page = Paginator(cases, case_selectors.CASE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "inbox/cases/list.html",
        {"page": page, "cases": page.object_list, "status": status, "status_filters": STATUS_FILTERS},
    )


def _case_context(request: HttpRequest, case: Case) -> dict:
    user = _signed_in(request)
    replies = [
        {
            "mention": mention,
            "delivery": delivery,
            "can_reply_privately": capabilities_for(mention.channel.kind).private_reply,
            "draft": case_selectors.private_reply_draft(case=case, mention=mention, author=user),
        }
        for mention, delivery in case_selectors.private_reply_mentions(case)
    ]
    helpdesk = [delivery for delivery in case.deliveries.all() if delivery.kind == DeliveryKind.HELPDESK]
    return {
        "case": case,
        "private_replies": replies,
        "helpdesk_delivery": helpdesk[0] if helpdesk else None,
        "helpdesk": helpdesk_config(),
        "case_statuses": CaseStatus.choices,
        "max_attempts": services.CASE_DELIVERY_MAX_ATTEMPTS,
    }


@roles_required(*CONSOLE_STAFF)
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_or_404(number)
    return render(request, "inbox/cases/detail.html", _case_context(request, case))


def _refused(request: HttpRequest, message: str, *, back: str = "") -> HttpResponse:
    return render(request, "inbox/cases/refused.html", {"message": message, "back": back}, status=400)


@require_POST
@roles_required(*ACTORS)
def case_open(request: HttpRequest) -> HttpResponse:
    """Open a case from the mentions posted as `mentions` (the page's mention and the ones ticked with it)."""
    raw_ids = request.POST.getlist("mentions")
    back = request.POST.get("back_mention", "")
    if not all(value.isdigit() for value in raw_ids):
        return _refused(request, _("Mentions are named by their numbers."))
    try:
        case = services.case_open(
            actor=_signed_in(request),
            mention_ids=[int(value) for value in raw_ids],
            case_type=request.POST.get("case_type", ""),
            priority=request.POST.get("priority", CasePriority.NORMAL),
            subject=request.POST.get("subject", ""),
            summary=request.POST.get("summary", ""),
        )
    except services.CaseError as error:
        return _refused(request, str(error), back=back if back.isdigit() else "")
    messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
    return redirect("inbox:case", number=case.number)


def _act(request: HttpRequest, number: str, action, done: str) -> HttpResponse:
    try:
        action()
    except services.MentionNotFound as error:
        raise Http404(str(error)) from error
    except services.InboxError as error:
        messages.error(request, str(error))
        case = _case_or_404(number)
        return render(request, "inbox/cases/detail.html", _case_context(request, case), status=400)
    messages.success(request, done)
    return redirect("inbox:case", number=number)


@require_POST
@roles_required(*ACTORS)
def case_private_reply(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_or_404(number)
    mention_id = request.POST.get("mention", "")
    if not mention_id.isdigit():
        return _refused(request, _("Choose the mention whose author to answer."))
    return _act(
        request,
        number,
        lambda: services.case_private_reply_queue(
            case_id=case.pk, actor=_signed_in(request), mention_id=int(mention_id), body=request.POST.get("body", "")
        ),
        done=_("Private reply queued: it goes out in a moment."),
    )


@require_POST
@roles_required(*ACTORS)
def case_status(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_or_404(number)
    status = request.POST.get("status", "")
    return _act(
        request,
        number,
        lambda: services.case_status_set(case_id=case.pk, actor=_signed_in(request), status=status),
        done=_("Case status changed."),
    )


@require_POST
@roles_required(*ACTORS)
def case_delivery_retry(request: HttpRequest, number: str, delivery_id: int) -> HttpResponse:
    case = _case_or_404(number)
    if not any(delivery.pk == delivery_id for delivery in case.deliveries.all()):
        raise Http404
    return _act(
        request,
        number,
        lambda: services.case_delivery_retry(delivery_id=delivery_id, actor=_signed_in(request)),
        done=_("Trying the hand-off again."),
    )
