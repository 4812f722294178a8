"""The publishing calendar: scheduled posts per channel by week or as a list, their approval, and the
switch that suspends all scheduled publishing (with the held posts, released one at a time)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crisisdesk.roles import CONSOLE_STAFF, roles_required, user_has_role
from playbooks import publishing_selectors as selectors
from playbooks import services
from playbooks.publishing_forms import PostForm, ReleaseForm, SuspendForm
from playbooks.views.common import StaffRequest, refuse, run_action

POST_ACTIONS = ("submit", "approve", "cancel", "release")


def _back() -> str:
    return reverse("playbooks:publishing")


def _int_param(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _week_param(value: str | None) -> date:
    try:
        return selectors.week_start(date.fromisoformat(value or ""))
    except ValueError:
        return selectors.week_start(timezone.localdate())


def _channel_choices() -> list[tuple[int, str]]:
    return [(channel.pk, channel.name) for channel, can_post in selectors.publishing_channels() if can_post]


def _form_errors(form: Any) -> str:
    return " ".join(" ".join(str(message) for message in messages) for messages in form.errors.values())


def _edit_form(post_id: int | None) -> tuple[Any, PostForm]:
    post = selectors.post_get(post_id=post_id) if post_id else None
    initial = (
        {"channel": post.channel_id, "body": post.body, "scheduled_at": timezone.localtime(post.scheduled_at)}
        if post is not None and post.is_editable
        else {"scheduled_at": timezone.localtime(timezone.now() + timedelta(hours=1)).replace(second=0, microsecond=0)}
    )
    editing = post if post is not None and post.is_editable else None
    return editing, PostForm(initial=initial, channels=_channel_choices())


@require_GET
@roles_required(*CONSOLE_STAFF)
def publishing_calendar(request: StaffRequest) -> HttpResponse:
    """The week (or the list) of scheduled posts, each with its pre-send checks and what you may do to it."""
    view = "list" if request.GET.get("view") == "list" else "week"
    start = _week_param(request.GET.get("week"))
    channel_id = _int_param(request.GET.get("channel"))
    if view == "week":
        days = selectors.calendar_week(start=start, channel_id=channel_id)
        posts = [post for day in days for post in day.posts]
    else:
        days, posts = [], selectors.calendar_list(channel_id=channel_id)
    held = selectors.posts_held()
    editing, form = _edit_form(_int_param(request.GET.get("edit")))
    checks = selectors.post_checks([*posts, *held])
    for post in [*posts, *held]:  # what this reader sees and may do, beside each post
        post.pre_send = checks.get(post.pk)  # type: ignore[attr-defined]
        post.can_approve = selectors.user_can_approve_post(post, request.user)  # type: ignore[attr-defined]
        post.is_overdue = post.scheduled_at <= timezone.now()  # type: ignore[attr-defined]
    context = {
        "page": "publishing",
        "view": view,
        "days": days,
        "posts": posts,
        "week": start,
        "previous_week": start - timedelta(days=7),
        "next_week": start + timedelta(days=7),
        "channel_id": channel_id,
        "channels": selectors.publishing_channels(),
        "suspension": selectors.publishing_suspension_active(),
        "held": held,
        "form": form,
        "editing": editing,
        "suspend_form": SuspendForm(),
        "can_act": user_has_role(request.user, services.PUBLISHERS),
    }
    return render(request, "playbooks/publishing.html", context)


@require_POST
@roles_required(*services.PUBLISHERS)
def post_create(request: StaffRequest) -> HttpResponse:
    form = PostForm(request.POST, channels=_channel_choices())
    if not form.is_valid():
        return refuse(request, _form_errors(form), back=_back())
    data = form.cleaned_data
    return run_action(
        request,
        lambda: services.scheduled_post_create(
            channel_id=data["channel"], body=data["body"], scheduled_at=data["scheduled_at"], actor=request.user
        ),
        back=_back(),
        done=_("Draft saved. Send it for approval when it is ready."),
    )


@require_POST
@roles_required(*services.PUBLISHERS)
def post_edit(request: StaffRequest, post_id: int) -> HttpResponse:
    form = PostForm(request.POST, channels=_channel_choices())
    if not form.is_valid():
        return refuse(request, _form_errors(form), back=_back())
    data = form.cleaned_data
    return run_action(
        request,
        lambda: services.scheduled_post_edit(
            post_id=post_id, actor=request.user, body=data["body"], scheduled_at=data["scheduled_at"],
            channel_id=data["channel"],
        ),
        back=_back(),
        done=_("Post changed: it is a draft again and needs approval."),
    )


def _release(request: StaffRequest, post_id: int) -> HttpResponse:
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        return refuse(request, _form_errors(form), back=_back())
    mode = form.cleaned_data["mode"]
    return run_action(
        request,
        lambda: services.scheduled_post_release(
            post_id=post_id,
            actor=request.user,
            publish_now=mode == "now",
            scheduled_at=form.cleaned_data["scheduled_at"] if mode == "reschedule" else None,
        ),
        back=_back(),
        done=_("Post released."),
    )


@require_POST
@roles_required(*services.PUBLISHERS)
def post_action(request: StaffRequest, post_id: int, action: str) -> HttpResponse:
    """Send for approval, approve (someone other than the author), cancel, or release a held post."""
    if action == "release":
        return _release(request, post_id)
    actions = {
        "submit": (services.scheduled_post_submit, _("Sent for approval.")),
        "approve": (services.scheduled_post_approve, _("Post approved.")),
        "cancel": (services.scheduled_post_cancel, _("Post cancelled.")),
    }
    if action not in actions:
        return refuse(request, _("Unknown action."), back=_back(), status=404)
    service, done = actions[action]
    return run_action(request, lambda: service(post_id=post_id, actor=request.user), back=_back(), done=done)


@require_POST
@roles_required(*services.PUBLISHERS)
def publishing_suspend(request: StaffRequest) -> HttpResponse:
    form = SuspendForm(request.POST)
    if not form.is_valid():
        return refuse(request, _form_errors(form), back=_back())
    return run_action(
        request,
        lambda: services.publishing_suspend(actor=request.user, reason=form.cleaned_data["reason"]),
        back=_back(),
        done=_("All scheduled publishing is suspended."),
    )


@require_POST
@roles_required(*services.PUBLISHERS)
def publishing_resume(request: StaffRequest) -> HttpResponse:
    return run_action(
        request,
        lambda: services.publishing_resume(actor=request.user),
        back=_back(),
        done=_("Scheduled publishing resumed. Held posts stay held until each is released."),
    )
