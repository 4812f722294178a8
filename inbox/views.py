"""Inbox pages: they validate input and call a selector or a service, nothing more."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crisisdesk.models import Role
from crisisdesk.roles import CONSOLE_STAFF, roles_required
from inbox import selectors, services
from inbox.forms import HideForm, InboxFilterForm, ReplyForm
from inbox.models import OPEN_STATUSES, ReplyState

PAGE_SIZE = 50


def _filtered(request: HttpRequest):
    form = InboxFilterForm(request.GET or None)
    queryset = selectors.inbox_list()
    if form.is_valid():
        data = form.cleaned_data
        mine = data["assignee"] == "mine"
        queryset = selectors.inbox_filter(
            queryset,
            status=data["status"],
            category=data["category"],
            sentiment=data["sentiment"],
            channel_kind=data["channel"],
            assignee=request.user if mine else None,
            unassigned=data["assignee"] == "unassigned",
            language=data["language"],
            crisis_id=data["crisis"],
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
    """Rows for live updates, rendered (and so escaped) on the server.

    `after=N`: the rows newer than N. `id=N`: that one row if it still matches the filters, or
    nothing, which tells the page to drop it.
    """
    form, queryset = _filtered(request)
    single = request.GET.get("id", "")
    after = request.GET.get("after", "")
    if single:
        if not single.isdigit():
            return HttpResponseBadRequest(_("id must be a number."))
        queryset = queryset.filter(pk=int(single))
    elif after:
        if not after.isdigit():
            return HttpResponseBadRequest(_("after must be a number."))
        queryset = queryset.filter(pk__gt=int(after))
    return render(request, "inbox/_rows.html", {"mentions": list(queryset[:PAGE_SIZE])})


@roles_required(*CONSOLE_STAFF)
def mention_page(request: HttpRequest, mention_id: int) -> HttpResponse:
    return _detail(request, mention_id)


def _detail(request: HttpRequest, mention_id: int, *, status: int = 200, reply_form=None, hide_form=None):
    mention = selectors.mention_detail(mention_id=mention_id)
    if mention is None:
        raise Http404
    return render(
        request,
        "inbox/detail.html",
        {
            "mention": mention,
            "thread": selectors.mention_thread(mention=mention),
            "reply_form": reply_form or ReplyForm(),
            "hide_form": hide_form or HideForm(),
            "community_managers": selectors.community_managers(),
            "reply_max_attempts": services.REPLY_MAX_ATTEMPTS,
            "reply_state_labels": {value: str(label) for value, label in ReplyState.choices},
            "signature_preview": services.signature_render(
                template=mention.channel.signature_template, author=request.user
            ),
        },
        status=status,
    )


def _act(request: HttpRequest, mention_id: int, action, **forms) -> HttpResponse:
    """Run one service; a refused action shows the page again with the reason and a 400, never a 500."""
    try:
        action()
    except services.MentionNotFound as error:
        raise Http404(str(error)) from error
    except services.InboxError as error:
        messages.error(request, str(error))
        return _detail(request, mention_id, status=400, **forms)
    return redirect("inbox:detail", mention_id=mention_id)


def _refused(request: HttpRequest, mention_id: int, message: str, **forms) -> HttpResponse:
    messages.error(request, message)
    return _detail(request, mention_id, status=400, **forms)


def _form_errors(form) -> str:
    return "; ".join(" ".join(errors) for errors in form.errors.values())


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_assign(request: HttpRequest, mention_id: int) -> HttpResponse:
    """`assignee` empty or "me": assign to oneself; a community manager's id: to that colleague."""
    assignee_id = request.POST.get("assignee", "").strip()
    if assignee_id in ("", "me"):
        assignee = request.user
    elif assignee_id.isdigit():
        assignee = selectors.community_managers().filter(pk=int(assignee_id)).first()
    else:
        assignee = None
    if assignee is None:
        return _refused(request, mention_id, _("Choose a community manager."))
    return _act(
        request,
        mention_id,
        lambda: services.mention_assign(mention_id=mention_id, assignee=assignee, actor=request.user),
    )


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_take_over(request: HttpRequest, mention_id: int) -> HttpResponse:
    return _act(
        request, mention_id, lambda: services.mention_take_over(mention_id=mention_id, actor=request.user)
    )


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_unhide(request: HttpRequest, mention_id: int) -> HttpResponse:
    return _act(
        request, mention_id, lambda: services.mention_unhide(mention_id=mention_id, actor=request.user)
    )


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def reply_retry(request: HttpRequest, mention_id: int, reply_id: int) -> HttpResponse:
    if selectors.reply_for_mention(reply_id=reply_id, mention_id=mention_id) is None:
        raise Http404
    return _act(request, mention_id, lambda: services.reply_retry(reply_id=reply_id, actor=request.user))


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_reply(request: HttpRequest, mention_id: int) -> HttpResponse:
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _refused(request, mention_id, _form_errors(form), reply_form=form)
    return _act(
        request,
        mention_id,
        lambda: services.reply_queue(
            mention_id=mention_id,
            author=request.user,
            body=form.cleaned_data["body"],
            take_over=form.cleaned_data["take_over"],
        ),
        reply_form=form,
    )


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_hide(request: HttpRequest, mention_id: int) -> HttpResponse:
    form = HideForm(request.POST)
    if not form.is_valid():
        return _refused(request, mention_id, _form_errors(form), hide_form=form)
    return _act(
        request,
        mention_id,
        lambda: services.mention_hide(
            mention_id=mention_id,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            as_troll=form.cleaned_data["as_troll"],
        ),
        hide_form=form,
    )


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_close(request: HttpRequest, mention_id: int) -> HttpResponse:
    return _act(
        request, mention_id, lambda: services.mention_close(mention_id=mention_id, actor=request.user)
    )


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_reopen(request: HttpRequest, mention_id: int) -> HttpResponse:
    return _act(
        request, mention_id, lambda: services.mention_reopen(mention_id=mention_id, actor=request.user)
    )


@roles_required(*CONSOLE_STAFF)
def channels_page(request: HttpRequest) -> HttpResponse:
    return render(request, "inbox/channels.html", {"channels": selectors.channel_health_list()})
