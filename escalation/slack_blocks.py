"""The Block Kit of Slack's interactive side: the Answer and Acknowledge modals, and the message that
replaces an escalation message's buttons once someone has acted.

Modals are written in the language of the person who clicked (the caller activates it), the
replacement in the brand's, since the whole channel reads it. Which request a modal is about, and
where the original message can be replaced, travel in its `private_metadata`, which Slack returns
inside the signed `view_submission`.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.models import EscalationRequest, RequestStatus
from escalation.services.acknowledge import MAX_HOLDING_LINE_LENGTH
from escalation.services.messages import SLACK_ACTION_ACKNOWLEDGE, SLACK_ACTION_ANSWER, SLACK_TEXT_LIMIT

# Block ids of the modals' inputs: Slack reports values, and we report errors, by block id.
BLOCK_ANSWER = "answer"
BLOCK_APPROVED = "approved_wording"
BLOCK_PROMISE = "promised_in"
BLOCK_HOLDING_LINE = "holding_line"
APPROVED_VALUE = "approved"
# Slack's plain_text_input holds at most 3000 characters (the service allows more from the desk).
SLACK_INPUT_LIMIT = 3000
PROMISE_CHOICES_MINUTES = (30, 60, 120, 240)
PROMISE_DEFAULT_MINUTES = 60


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def _escape(text: str) -> str:
    """Slack mrkdwn's three control characters, escaped as its documentation asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _question_section(request: EscalationRequest) -> dict[str, Any]:
    heading = f"*{_escape(request.department.name)} · #{request.pk}*"
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": f"{heading}\n{_escape(request.question)}"[:SLACK_TEXT_LIMIT]},
    }


def _modal(
    request: EscalationRequest, *, callback_id: str, title: str, submit: str, response_url: str, inputs: list[Any]
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps({"request": request.pk, "response_url": response_url}),
        "title": _plain(f"{title} #{request.pk}"[:24]),
        "submit": _plain(submit[:24]),
        "close": _plain(_("Cancel")[:24]),
        "blocks": [_question_section(request), *inputs],
    }


def answer_modal(request: EscalationRequest, *, response_url: str) -> dict[str, Any]:
    """The Answer button's modal: the question, a multiline answer, and the approved-wording box."""
    return _modal(
        request,
        callback_id=SLACK_ACTION_ANSWER,
        title=_("Answer"),
        submit=_("Send answer"),
        response_url=response_url,
        inputs=[
            {
                "type": "input",
                "block_id": BLOCK_ANSWER,
                "label": _plain(_("Answer")),
                "element": {
                    "type": "plain_text_input",
                    "action_id": BLOCK_ANSWER,
                    "multiline": True,
                    "max_length": SLACK_INPUT_LIMIT,
                },
            },
            {
                "type": "input",
                "block_id": BLOCK_APPROVED,
                "optional": True,
                "label": _plain(_("Approved wording")),
                "element": {
                    "type": "checkboxes",
                    "action_id": BLOCK_APPROVED,
                    "options": [
                        {
                            "text": _plain(_("Approved wording: community managers may reply with it")[:75]),
                            "value": APPROVED_VALUE,
                        }
                    ],
                },
            },
        ],
    )


def _promise_option(minutes: int) -> dict[str, Any]:
    labels = {
        30: _("In 30 minutes"),
        60: _("In 1 hour"),
        120: _("In 2 hours"),
        240: _("In 4 hours"),
    }
    return {"text": _plain(labels[minutes]), "value": str(minutes)}


def acknowledge_modal(request: EscalationRequest, *, response_url: str) -> dict[str, Any]:
    """The Acknowledge button's modal: by when the department will answer (required, as on the
    desk), and an optional holding line."""
    return _modal(
        request,
        callback_id=SLACK_ACTION_ACKNOWLEDGE,
        title=_("Acknowledge"),
        submit=_("Acknowledge"),
        response_url=response_url,
        inputs=[
            {
                "type": "input",
                "block_id": BLOCK_PROMISE,
                "label": _plain(_("We will answer by")),
                "element": {
                    "type": "static_select",
                    "action_id": BLOCK_PROMISE,
                    "options": [_promise_option(minutes) for minutes in PROMISE_CHOICES_MINUTES],
                    "initial_option": _promise_option(PROMISE_DEFAULT_MINUTES),
                },
            },
            {
                "type": "input",
                "block_id": BLOCK_HOLDING_LINE,
                "optional": True,
                "label": _plain(_("Holding line (optional)")),
                "hint": _plain(_("What the community manager may publish meanwhile.")),
                "element": {
                    "type": "plain_text_input",
                    "action_id": BLOCK_HOLDING_LINE,
                    "multiline": True,
                    "max_length": MAX_HOLDING_LINE_LENGTH,
                },
            },
        ],
    )


def promise_minutes(value: str) -> timedelta | None:
    """The chosen answer-by delay, or None for a value the modal never offered."""
    return timedelta(minutes=int(value)) if value.isdigit() and int(value) in PROMISE_CHOICES_MINUTES else None


def _outcome_line(request: EscalationRequest) -> str:
    """Who did what to the request, for the message that replaces the buttons."""
    if request.status == RequestStatus.ANSWERED:
        answer = request.answers.select_related("author").order_by("-created_at", "-id").first()
        name = answer.author.display_name if answer is not None and answer.author is not None else "—"
        return _("Answered by %(name)s") % {"name": name}
    if request.status == RequestStatus.ACKNOWLEDGED and request.promised_at is not None:
        name = request.acknowledged_by.display_name if request.acknowledged_by is not None else "—"
        return _("Acknowledged by %(name)s, answer promised by %(time)s") % {
            "name": name,
            "time": timezone.localtime(request.promised_at).strftime("%d/%m %H:%M"),
        }
    return str(request.get_status_display())


def outcome_message(request: EscalationRequest) -> dict[str, Any]:
    """The escalation message again, its buttons replaced by who answered or acknowledged it."""
    line = _outcome_line(request)
    return {
        "text": f"#{request.pk} · {line}",
        "blocks": [
            _question_section(request),
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"*{_escape(line)}*"}]},
        ],
    }
