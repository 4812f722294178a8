"""Inbox pages: they validate input and call a selector or a service, nothing more."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crisisdesk.models import Role
from crisisdesk.roles import CONSOLE_STAFF, roles_required
from inbox import selectors, services
from inbox.forms import HideForm, InboxFilterForm, ReplyForm
from inbox.models import OPEN_STATUSES

PAGE_SIZE = 50


def _filtered(request: HttpRequest):
    form = InboxFilterForm(request.GET or None)
    queryset = selectors.inbox_list()
    if form.is_valid():
        data = form.cleaned_data
        queryset = selectors.inbox_filter(
            queryset,
            status=data["status"],
            category=data["category"],
            sentiment=data["sentiment"],
            channel_kind=data["channel"],
            assignee=request.user if data["mine"] else None,
            search=data["q"],
        )
    else:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    return form, queryset


@roles_required(*CONSOLE_STAFF)
def inbox_page(request: HttpRequest) -> HttpResponse:
    form, queryset = _filtered(request)
    mentions = list(queryset[:PAGE_SIZE])
    return render(request, "inbox/list.html", {"form": form, "mentions": mentions})


@roles_required(*CONSOLE_STAFF)
def inbox_rows(request: HttpRequest) -> HttpResponse:
    """The rows newer than `after`, for live updates (rendered, and so escaped, on the server)."""
    form, queryset = _filtered(request)
    after = request.GET.get("after", "")
    if after.isdigit():
        queryset = queryset.filter(pk__gt=int(after))
    return render(request, "inbox/_rows.html", {"mentions": list(queryset[:PAGE_SIZE])})


@roles_required(*CONSOLE_STAFF)
def mention_page(request: HttpRequest, mention_id: int) -> HttpResponse:
    mention = selectors.mention_detail(mention_id=mention_id)
    if mention is None:
        raise Http404
    return render(
        request,
        "inbox/detail.html",
        {
            "mention": mention,
            "thread": selectors.mention_thread(mention=mention),
            "reply_form": ReplyForm(),
            "hide_form": HideForm(),
            "community_managers": selectors.community_managers(),
        },
    )


def _act(request: HttpRequest, mention_id: int, action) -> HttpResponse:
    if request.user.role != Role.COMMUNITY_MANAGER and not request.user.is_superuser:
        raise PermissionDenied
    try:
        action()
    except services.InboxError as error:
        messages.error(request, str(error))
    return redirect("inbox:detail", mention_id=mention_id)


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_assign(request: HttpRequest, mention_id: int) -> HttpResponse:
    assignee_id = request.POST.get("assignee", "")
    assignee = selectors.community_managers().filter(pk=assignee_id).first() if assignee_id.isdigit() else request.user
    if assignee_id and assignee is None:
        messages.error(request, "Choose a community manager.")
        return redirect("inbox:detail", mention_id=mention_id)
    return _act(request, mention_id, lambda: services.mention_assign(mention_id=mention_id, assignee=assignee, actor=request.user))


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_reply(request: HttpRequest, mention_id: int) -> HttpResponse:
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect("inbox:detail", mention_id=mention_id)
    return _act(
        request,
        mention_id,
        lambda: services.reply_queue(
            mention_id=mention_id, author=request.user, body=form.cleaned_data["body"],
            take_over=form.cleaned_data["take_over"],
        ),
    )


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_hide(request: HttpRequest, mention_id: int) -> HttpResponse:
    form = HideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect("inbox:detail", mention_id=mention_id)
    return _act(
        request,
        mention_id,
        lambda: services.mention_hide(
            mention_id=mention_id, actor=request.user, reason=form.cleaned_data["reason"],
            as_troll=form.cleaned_data["as_troll"],
        ),
    )


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_close(request: HttpRequest, mention_id: int) -> HttpResponse:
    return _act(request, mention_id, lambda: services.mention_close(mention_id=mention_id, actor=request.user))


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_reopen(request: HttpRequest, mention_id: int) -> HttpResponse:
    return _act(request, mention_id, lambda: services.mention_reopen(mention_id=mention_id, actor=request.user))


@roles_required(*CONSOLE_STAFF)
def channels_page(request: HttpRequest) -> HttpResponse:
    return render(request, "inbox/channels.html", {"channels": selectors.channel_health_list()})
