"""The mention page's composer and moderation parts: what the reply box may do on this network, undo, the
live template list, and "Reply anyway". Views validate and call one selector or service, nothing more."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from crisisdesk.models import Role, User
from crisisdesk.roles import roles_required
from inbox import composer, hooks, selectors, services
from inbox.case_selectors import mention_active_cases
from inbox.connectors import capabilities_for
from inbox.forms import ReplyChecksForm
from inbox.models import ChannelKind, Mention, NetworkHiddenState, Reply, ReplyState
from inbox.models_cases import CasePriority, CaseType
from inbox.reply_length import count_mode, reply_byte_limit, reply_limit

REPLIERS = (Role.COMMUNITY_MANAGER, Role.ADMIN)


def _signed_in(request: HttpRequest) -> User:
    return cast(User, request.user)


def network_name(kind: str) -> str:
    return str(dict(ChannelKind.choices).get(kind, kind))


def network_hidden_label(mention: Mention, state: str | None = None) -> str:
    """What the page says about the network's copy of a hidden (or shown again) comment, in its current
    state or in `state` (the labels the page's script swaps in live)."""
    state = mention.network_hidden_state if state is None else state
    if state == NetworkHiddenState.UNSUPPORTED:
        return _("This network cannot hide comments: hidden in Crisis Desk only.") if mention.is_hidden else ""
    if mention.is_hidden:
        labels = {
            NetworkHiddenState.PENDING: _("Hiding on %(network)s…"),
            NetworkHiddenState.SYNCING: _("Hiding on %(network)s…"),
            NetworkHiddenState.DONE: _("Hidden on %(network)s"),
            NetworkHiddenState.FAILED: _("%(network)s did not hide it: hidden in Crisis Desk only."),
        }
    else:
        labels = {
            NetworkHiddenState.PENDING: _("Showing again on %(network)s…"),
            NetworkHiddenState.SYNCING: _("Showing again on %(network)s…"),
            NetworkHiddenState.DONE: _("Visible again on %(network)s"),
            NetworkHiddenState.FAILED: _("%(network)s did not show it again."),
        }
    label = labels.get(NetworkHiddenState(state)) if state else None
    return label % {"network": network_name(mention.channel.kind)} if label else ""


def composer_context(*, mention: Mention, user: User) -> dict[str, Any]:
    """Everything the reply box needs: whether it shows (and why not), the network's limit and counting
    rule, the signature counted with the text, the replies still inside their undo window."""
    kind = mention.channel.kind
    limit = reply_limit(kind=kind)
    signature = services.signature_render(template=mention.channel.signature_template, author=user)
    troll_blocked = mention.is_hidden and mention.hidden_as_troll and not mention.troll_reply_override
    now = timezone.now()
    undoable = [
        reply.pk
        for reply in mention.replies.all()
        if reply.state == ReplyState.QUEUED
        and reply.author_id == user.pk
        and reply.send_after
        and reply.send_after > now
        and not reply.attempts
    ]
    withdrawable = [
        reply.pk
        for reply in mention.replies.all()
        if reply.state == ReplyState.PENDING_APPROVAL and reply.author_id == user.pk
    ]
    return {
        "withdrawable_reply_ids": withdrawable,
        "network_name": network_name(kind),
        "can_reply_on_network": bool(limit),
        "troll_blocked": troll_blocked,
        "reply_max_length": limit,
        "reply_count_mode": count_mode(kind),
        "reply_max_bytes": reply_byte_limit(kind=kind),
        "signature_preview": signature,
        "network_can_hide": capabilities_for(kind).hide,
        "network_hidden_label": network_hidden_label(mention),
        "network_hidden_labels": {state: network_hidden_label(mention, state) for state in NetworkHiddenState.values},
        "undoable_reply_ids": undoable,
        "server_now": now,
        "undo_seconds": int(services.reply_undo_window().total_seconds()),
        # Cases: the mention's open ones (the panel shows them) and the "Open a case" form's choices.
        "active_cases": mention_active_cases(mention_id=mention.pk),
        "case_types": CaseType.choices,
        "case_priorities": CasePriority.choices,
    }


def reply_outcome_message(reply: Reply) -> str:
    """What the author reads once a reply is accepted: it waits for approval (and why), or its undo window."""
    if reply.state == ReplyState.PENDING_APPROVAL:
        return _("Waiting for approval — %(reasons)s. Nothing is sent until an approver decides.") % {
            "reasons": "; ".join(reply.approval.reason_labels)
        }
    seconds = int(services.reply_undo_window().total_seconds())
    if not seconds:
        return _("Reply queued for sending.")
    return ngettext(
        "Reply queued: it goes out in %(seconds)d second; you can undo it until then.",
        "Reply queued: it goes out in %(seconds)d seconds; you can undo it until then.",
        seconds,
    ) % {"seconds": seconds}


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@roles_required(*REPLIERS)
def reply_cancel(request: HttpRequest, mention_id: int, reply_id: int) -> HttpResponse:
    """Undo a reply inside its window: JSON to the page's script, a redirect with a message otherwise."""
    if selectors.reply_for_mention(reply_id=reply_id, mention_id=mention_id) is None:
        raise Http404
    try:
        reply = services.reply_cancel(reply_id=reply_id, actor=_signed_in(request))
    except services.MentionNotFound as error:
        raise Http404(str(error)) from error
    except services.InboxError as error:
        if _wants_json(request):
            return JsonResponse({"error": str(error)}, status=400)
        messages.error(request, str(error))
        return redirect("inbox:detail", mention_id=mention_id)
    done = _("Reply undone: nothing was sent.")
    if _wants_json(request):
        return JsonResponse({"message": done, "id": reply.pk, "state": reply.state})
    messages.success(request, done)
    return redirect("inbox:detail", mention_id=mention_id)


@require_GET
@roles_required(*REPLIERS)
def reply_templates(request: HttpRequest, mention_id: int) -> JsonResponse:
    """The composer's templates for this mention, re-read when a department's answer is approved."""
    mention = selectors.mention_detail(mention_id=mention_id)
    if mention is None:
        raise Http404
    templates = composer.reply_templates(mention=mention, author=_signed_in(request))
    return JsonResponse({"templates": [template.as_dict() for template in templates]})


@require_POST
@roles_required(*REPLIERS)
def mention_reply_anyway(request: HttpRequest, mention_id: int) -> HttpResponse:
    """The community manager chooses to answer a mention hidden as a troll (audited)."""
    try:
        services.mention_reply_anyway(mention_id=mention_id, actor=_signed_in(request))
    except services.MentionNotFound as error:
        raise Http404(str(error)) from error
    except services.InboxError as error:
        messages.error(request, str(error))
    return redirect(reverse("inbox:detail", kwargs={"mention_id": mention_id}) + "#reply")


@require_POST
@roles_required(Role.COMMUNITY_MANAGER, Role.ADMIN)
def reply_checks(request: HttpRequest) -> JsonResponse:
    """The composer's pre-send warnings for a draft, as JSON; they advise and never block."""
    form = ReplyChecksForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(" ".join(map(str, messages_)) for messages_ in form.errors.values())
        return JsonResponse({"error": errors}, status=400)
    mention_id = form.cleaned_data["mention"]
    language = ""
    if mention_id:
        mention = selectors.mention_detail(mention_id=mention_id)
        if mention is None:
            return JsonResponse({"error": _("That mention does not exist.")}, status=404)
        in_crisis = composer.mention_active_crisis(mention=mention) is not None
        language = mention.language
    else:
        in_crisis = hooks.crisis_reader().crisis_banner() is not None
    warnings = composer.reply_checks(text=form.cleaned_data["text"], in_crisis=in_crisis, language=language)
    return JsonResponse({"in_crisis": in_crisis, "warnings": [warning.as_dict() for warning in warnings]})
