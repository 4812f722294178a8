"""Inbox pages: they validate input and call a selector or a service, nothing more."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from crisisdesk.models import Role, User
from crisisdesk.roles import CONSOLE_STAFF, roles_required
from inbox import composer, selectors, services
from inbox.bulk import mentions_bulk_apply
from inbox.case_selectors import mentions_attach_active_cases
from inbox.forms import BulkForm, HideForm, InboxFilterForm, ReplyForm
from inbox.models import OPEN_STATUSES, Category, Mention, ReplyState, Sentiment
from inbox.queue import QueueCursorInvalid, QueuePage, breach_soon_before, inbox_queue_page, queue_sort
from inbox.saved_views import saved_view_current, saved_views
from inbox.triage.selectors import triage_backlog
from inbox.triage.services import TriageError, mention_label_correct
from inbox.views_composer import composer_context, reply_outcome_message

PAGE_SIZE = 50
REPLIERS = (Role.COMMUNITY_MANAGER, Role.ADMIN)


def _signed_in(request: HttpRequest) -> User:
    """The user of a page behind `roles_required`, which has sent anonymous visitors to log in."""
    return cast(User, request.user)


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
            assignee=_signed_in(request) if mine else None,
            unassigned=data["assignee"] == "unassigned",
            language=data["language"],
            crisis_id=data["crisis"],
            search=data["q"],
            received_before=breach_soon_before() if data["due"] == "soon" else None,
        )
    else:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    return form, queryset


def _queue_page(request: HttpRequest, form: InboxFilterForm, queryset) -> QueuePage:
    """The page of the queue the request asks for: its order (priority by default) after its cursor."""
    data = form.cleaned_data if form.is_valid() else {}
    search, status = data.get("q", ""), data.get("status", "")
    return inbox_queue_page(
        queryset,
        sort=queue_sort(data.get("sort"), search=search, status=status),
        cursor=request.GET.get("cursor", ""),
        limit=PAGE_SIZE,
        search=search,
        status=status,
    )


def _cursor_refused() -> HttpResponse:
    return HttpResponseBadRequest(_("That page link is no longer valid; start from the first page."))


@roles_required(*CONSOLE_STAFF)
def inbox_page(request: HttpRequest) -> HttpResponse:
    form, queryset = _filtered(request)
    try:
        page = _queue_page(request, form, queryset)
    except QueueCursorInvalid:
        return _cursor_refused()
    views = saved_views()
    data = form.cleaned_data if form.is_valid() else {}
    following = request.GET.copy()
    following["cursor"] = page.next_cursor
    return render(
        request,
        "inbox/list.html",
        {
            "form": form,
            "mentions": mentions_attach_active_cases(page.rows),
            "next_cursor": page.next_cursor,
            "next_query": following.urlencode(),
            "sort": queue_sort(data.get("sort"), search=data.get("q", ""), status=data.get("status", "")),
            "saved_views": views,
            "current_view": saved_view_current(views, request.GET),
            "bulk_form": BulkForm(),
        },
    )


@roles_required(*CONSOLE_STAFF)
def inbox_rows(request: HttpRequest) -> HttpResponse:
    """Rows for live updates and "Load more", rendered (and so escaped) on the server.

    `after=N`: the rows newer than N. `id=N`: that one row if it still matches the filters, or
    nothing, which tells the page to drop it. Otherwise a page of the queue after `cursor` (the
    first page without one), with the next page's cursor in the `X-Next-Cursor` header ("" at the end).
    """
    form, queryset = _filtered(request)
    single = request.GET.get("id", "")
    after = request.GET.get("after", "")
    if single:
        if not single.isdigit():
            return HttpResponseBadRequest(_("id must be a number."))
        mentions = list(queryset.filter(pk=int(single))[:1])
    elif after:
        if not after.isdigit():
            return HttpResponseBadRequest(_("after must be a number."))
        mentions = list(queryset.filter(pk__gt=int(after))[:PAGE_SIZE])
    else:
        try:
            page = _queue_page(request, form, queryset)
        except QueueCursorInvalid:
            return _cursor_refused()
        response = render(request, "inbox/_rows.html", {"mentions": mentions_attach_active_cases(page.rows)})
        response["X-Next-Cursor"] = page.next_cursor
        return response
    return render(request, "inbox/_rows.html", {"mentions": mentions_attach_active_cases(mentions)})


@roles_required(*CONSOLE_STAFF)
def mention_page(request: HttpRequest, mention_id: int) -> HttpResponse:
    return _detail(request, mention_id)


def _detail(request: HttpRequest, mention_id: int, *, status: int = 200, reply_form=None, hide_form=None):
    mention = selectors.mention_detail(mention_id=mention_id)
    if mention is None:
        raise Http404
    crisis = composer.mention_active_crisis(mention=mention)
    templates = composer.reply_templates(mention=mention, author=_signed_in(request))
    return render(
        request,
        "inbox/detail.html",
        {
            "mention": mention,
            "thread": selectors.mention_thread(mention=mention),
            "author_history": selectors.author_history(author_id=mention.author_id, exclude_mention_id=mention.pk),
            "crisis": crisis,
            "reply_templates": templates,
            "reply_templates_data": [template.as_dict() for template in templates],
            "response_target_minutes": settings.INBOX_RESPONSE_TARGET_MINUTES,
            "reply_form": reply_form or ReplyForm(),
            "hide_form": hide_form or HideForm(),
            "community_managers": selectors.community_managers(),
            "reply_max_attempts": services.REPLY_MAX_ATTEMPTS,
            "reply_state_labels": {value: str(label) for value, label in ReplyState.choices},
            **composer_context(mention=mention, user=_signed_in(request)),
            "relabel_fields": [
                ("sentiment", _("Sentiment"), Sentiment.choices, mention.sentiment),
                ("category", _("Category"), Category.choices, mention.category),
            ],
        },
        status=status,
    )


def _act(request: HttpRequest, mention_id: int, action, done: str | Callable[[Any], str] = "", **forms) -> HttpResponse:
    """Run one service; a refused action shows the page again with the reason and a 400, never a 500.
    `done` is the confirmation shown once it worked (or makes it from the service's result)."""
    try:
        result = action()
    except services.MentionNotFound as error:
        raise Http404(str(error)) from error
    except services.InboxError as error:
        messages.error(request, str(error))
        return _detail(request, mention_id, status=400, **forms)
    message = done(result) if callable(done) else done
    if message:
        messages.success(request, message)
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
    assignee: User | None
    if assignee_id in ("", "me"):
        assignee = _signed_in(request)
    elif assignee_id.isdigit():
        assignee = selectors.community_managers().filter(pk=int(assignee_id)).first()
    else:
        assignee = None
    if assignee is None:
        return _refused(request, mention_id, _("Choose a community manager."))
    return _act(
        request,
        mention_id,
        lambda: services.mention_assign(mention_id=mention_id, assignee=assignee, actor=_signed_in(request)),
    )


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_take_over(request: HttpRequest, mention_id: int) -> HttpResponse:
    return _act(
        request, mention_id, lambda: services.mention_take_over(mention_id=mention_id, actor=_signed_in(request))
    )


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_unhide(request: HttpRequest, mention_id: int) -> HttpResponse:
    return _act(
        request,
        mention_id,
        lambda: services.mention_unhide(mention_id=mention_id, actor=_signed_in(request)),
        done=_("The mention is visible again and back in the queue."),
    )


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def reply_retry(request: HttpRequest, mention_id: int, reply_id: int) -> HttpResponse:
    if selectors.reply_for_mention(reply_id=reply_id, mention_id=mention_id) is None:
        raise Http404
    return _act(request, mention_id, lambda: services.reply_retry(reply_id=reply_id, actor=_signed_in(request)))


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
            author=_signed_in(request),
            body=form.cleaned_data["body"],
            take_over=form.cleaned_data["take_over"],
        ),
        done=reply_outcome_message,
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
            actor=_signed_in(request),
            reason=form.cleaned_data["reason"],
            as_troll=form.cleaned_data["as_troll"],
        ),
        done=_("Hidden: out of the queue and off the response clock. Hidden, never deleted."),
        hide_form=form,
    )


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_relabel(request: HttpRequest, mention_id: int) -> HttpResponse:
    """A community manager corrects a triage label; the correction feeds training and the author's history."""
    field = request.POST.get("field", "")
    value = request.POST.get("value", "")
    try:
        mention_label_correct(mention_id=mention_id, field=field, value=value, actor=_signed_in(request))
    except TriageError as error:
        if not Mention.objects.filter(pk=mention_id).exists():
            raise Http404(str(error)) from error
        if _wants_json(request):
            return JsonResponse({"error": str(error)}, status=400)
        return _refused(request, mention_id, str(error))
    done = _("Corrected: %(label)s.") % {"label": dict(Category.choices + Sentiment.choices).get(value, value)}
    if _wants_json(request):
        return JsonResponse({"message": done, "ids": [mention_id]})
    messages.success(request, done)
    return redirect("inbox:detail", mention_id=mention_id)


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_close(request: HttpRequest, mention_id: int) -> HttpResponse:
    return _act(request, mention_id, lambda: services.mention_close(mention_id=mention_id, actor=_signed_in(request)))


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def mention_reopen(request: HttpRequest, mention_id: int) -> HttpResponse:
    return _act(request, mention_id, lambda: services.mention_reopen(mention_id=mention_id, actor=_signed_in(request)))


def _back_to_inbox(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("inbox:list")


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@roles_required(*REPLIERS)
def inbox_bulk(request: HttpRequest) -> HttpResponse:
    """Assign to oneself, close or hide as a troll the ticked mentions, all or none.

    Answers JSON to the page's script (`Accept: application/json`), a redirect back to the inbox otherwise.
    """
    form = BulkForm(request.POST)
    if not form.is_valid():
        return _bulk_answer(request, _form_errors(form), status=400)
    data = form.cleaned_data
    try:
        done = mentions_bulk_apply(
            action=data["action"], mention_ids=data["ids"], actor=_signed_in(request), reason=data["reason"]
        )
    except services.MentionNotFound as error:
        return _bulk_answer(request, str(error), status=404)
    except services.InboxError as error:
        return _bulk_answer(request, str(error), status=400)
    message = {
        "assign": ngettext("%(count)d mention assigned to you.", "%(count)d mentions assigned to you.", done),
        "close": ngettext("%(count)d mention closed.", "%(count)d mentions closed.", done),
        "hide": ngettext("%(count)d mention hidden as troll.", "%(count)d mentions hidden as troll.", done),
    }[data["action"]] % {"count": done}
    return _bulk_answer(request, message, status=200, done=data["ids"])


def _bulk_answer(request: HttpRequest, message: str, *, status: int, done: list[int] | None = None):
    if _wants_json(request):
        key = "message" if status == 200 else "error"
        return JsonResponse({key: message, "ids": done or []}, status=status)
    if status == 200:
        messages.success(request, message)
    else:
        messages.error(request, message)
    return redirect(_back_to_inbox(request))


@roles_required(*CONSOLE_STAFF)
def channels_page(request: HttpRequest) -> HttpResponse:
    backlog = triage_backlog()
    rows = [(channel, backlog.pending_by_channel.get(channel.pk, 0)) for channel in selectors.channel_health_list()]
    return render(request, "inbox/channels.html", {"channel_rows": rows, "backlog": backlog})
