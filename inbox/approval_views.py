"""Reply approvals' pages: the queue approvers decide from, the decisions, and the rule. Each view validates
and calls one selector or service."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crisisdesk.models import User
from crisisdesk.roles import CONSOLE_STAFF, MANAGERS, roles_required
from inbox import approval_selectors, services
from inbox.approval_forms import ApprovalRuleForm, ApproveForm, RejectForm

RULE_EDITORS = tuple(MANAGERS)  # directors (who lead crises) and administrators


def _signed_in(request: HttpRequest) -> User:
    return cast(User, request.user)


def _queue(request: HttpRequest, *, status: int = 200, conflict: dict[str, Any] | None = None) -> HttpResponse:
    user = _signed_in(request)
    pending = approval_selectors.approvals_pending(user=user)
    if not approval_selectors.user_is_approver(user=user) and not any(item.may_decide for item in pending):
        raise PermissionDenied
    return render(
        request,
        "inbox/approvals.html",
        {
            "pending": pending,
            "recent": approval_selectors.approvals_recent(),
            "conflict": conflict,
            "reject_form": RejectForm(),
            "may_edit_rule": user.role in MANAGERS or user.is_superuser,
        },
        status=status,
    )


@roles_required(*CONSOLE_STAFF)
def approvals_page(request: HttpRequest) -> HttpResponse:
    """The replies waiting for approval (a department head never sees them), and the latest decisions."""
    return _queue(request)


def _decision(request: HttpRequest, reply_id: int, action, *, done: str, body: str = "") -> HttpResponse:
    """Run one decision: a conflict with the mention shows "Approve anyway" (409), a colleague who decided
    first is named (409), any other refusal is said with a 400; never a 500."""
    try:
        action()
    except services.ApprovalConflict as conflict:
        context = {"reply_id": reply_id, "conflicts": conflict.conflicts, "body": body}
        return _queue(request, status=409, conflict=context)
    except services.MentionNotFound as error:
        raise Http404(str(error)) from error
    except services.InboxError as error:
        messages.error(request, str(error))
        return _queue(request, status=409 if isinstance(error, services.ApprovalAlreadyDecided) else 400)
    messages.success(request, done)
    return redirect("inbox:approvals")


@require_POST
@roles_required(*CONSOLE_STAFF)
def reply_approve(request: HttpRequest, reply_id: int) -> HttpResponse:
    """Approve (or, with a changed text, edit and approve) a waiting reply."""
    form = ApproveForm(request.POST)
    form.is_valid()  # both fields are optional: nothing in them can be invalid
    body = form.cleaned_data.get("body") or None
    return _decision(
        request,
        reply_id,
        lambda: services.reply_approve(
            reply_id=reply_id, actor=_signed_in(request), body=body, confirm=bool(form.cleaned_data.get("confirm"))
        ),
        done=_("Approved: the reply is being sent, signed by its author."),
        body=body or "",
    )


@require_POST
@roles_required(*CONSOLE_STAFF)
def reply_reject(request: HttpRequest, reply_id: int) -> HttpResponse:
    """Reject with a comment; the reply goes back to its author, the mention stays unanswered."""
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why, so that its author can write a better reply."))
        return _queue(request, status=400)
    return _decision(
        request,
        reply_id,
        lambda: services.reply_reject(
            reply_id=reply_id, actor=_signed_in(request), comment=form.cleaned_data["comment"]
        ),
        done=_("Rejected: its author has your comment."),
    )


@roles_required(*RULE_EDITORS)
def approval_rule_page(request: HttpRequest) -> HttpResponse:
    """The approval rule: from which crisis level, whose replies, which phrases, who approves, how long."""
    rule = approval_selectors.approval_rule_current()
    instance = None if rule._state.adding else rule  # unsaved: the form starts from the defaults
    if request.method == "POST":
        form = ApprovalRuleForm(request.POST, instance=instance)
        if form.is_valid():
            data = form.cleaned_data
            services.approval_rule_update(
                actor=_signed_in(request),
                fields={
                    name: data[name]
                    for name in (
                        "enabled",
                        "minimum_crisis_level",
                        "risky_patterns",
                        "crisis_owner_approves",
                        "time_limit_minutes",
                    )
                }
                | {"approver_roles": list(data["approver_roles"])},
                new_starter_ids=[user.pk for user in data["new_starters"]],
                approver_ids=[user.pk for user in data["approvers"]],
            )
            saved = _("Approval rule saved. Replies already waiting keep the rule they were held under.")
            messages.success(request, saved)
            return redirect("inbox:approval_rule")
        status = 400
    else:
        form = ApprovalRuleForm(instance=instance)
        status = 200
    return render(request, "inbox/approval_rule.html", {"form": form, "rule": rule}, status=status)
