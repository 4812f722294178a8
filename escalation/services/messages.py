"""What a step's message says, for each medium: e-mail (text and HTML), Slack, Teams, plain chat.

Every message carries the question, the mentions it was raised from, the deadline and the signed
link to the request's phone page (`links`). Chat payloads follow the platform the webhook belongs
to: a Slack incoming webhook gets Block Kit (url buttons that open the signed page, with
`action_id`s so that an app with interactivity gets a verified ping, `slack`; with a bot token
the buttons open modals instead, `views_slack`); a Teams Workflows webhook gets an Adaptive Card
1.5 in the message envelope; any other URL the plain `{"text": …}`.
Texts are in the active language: the caller chooses it (`delivery`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.text import header_safe
from escalation.models import EscalationRequest
from escalation.services import chain
from escalation.silence import Silence, request_silence

SLACK_TEXT_LIMIT = 2900  # a section's text may hold 3000 characters
MENTIONS_SHOWN = 3
MENTION_TEXT_LIMIT = 280
SLACK_ACTION_ACKNOWLEDGE = "escalation_acknowledge"
SLACK_ACTION_ANSWER = "escalation_answer"
SLACK_ACTION_OPEN = "escalation_open"
TEAMS_HOST_SUFFIXES = (".webhook.office.com", ".logic.azure.com", ".powerplatform.com", ".powerautomate.com")


@dataclass(frozen=True)
class StepMessage:
    """One step's message about one request, ready for any medium."""

    request_id: int
    subject: str
    question: str
    department: str
    due: str
    step_line: str
    mentions: tuple[tuple[str, str], ...]
    link: str
    desk_link: str
    silence_line: str = ""
    reply_by_mail: bool = False
    drill_line: str = ""  # a drill's request: says so above everything else


def drill_tag() -> str:
    """What every message of a drill's request starts with, in the active language."""
    return _("[DRILL]")


def step_message(
    *,
    request: EscalationRequest,
    position: chain.Position,
    link: str,
    desk_link: str,
    silence: Silence | None = None,
    reply_by_mail: bool = False,
) -> StepMessage:
    """The subject and contents of a step's message, in the active language, with the cost of silence
    (`escalation.silence`) measured now when the caller does not pass it; `reply_by_mail` when a reply
    to the e-mail is read as the answer (`mail_answers`)."""
    due = timezone.localtime(request.due_at).strftime("%d/%m %H:%M")
    prefix = _("Reminder") + " · " if chain.is_repeat(position) else ""
    if request.is_drill:
        prefix = f"{drill_tag()} {prefix}"
    subject = _("%(prefix)s[Crisis Desk] %(department)s, question #%(id)d (answer by %(due)s)") % {
        "prefix": prefix,
        "department": header_safe(request.department.name),
        "id": request.pk,
        "due": due,
    }
    mentions = tuple(
        (str(item.get("author", {}).get("handle", "")), str(item.get("text", ""))[:MENTION_TEXT_LIMIT])
        for item in (request.context or {}).get("mentions", [])[:MENTIONS_SHOWN]
    )
    return StepMessage(
        request_id=request.pk,
        subject=header_safe(subject, limit=255),
        question=request.question,
        department=request.department.name,
        due=due,
        step_line=_("Step %(step)d of the escalation chain.") % {"step": position.step + 1},
        mentions=mentions,
        link=link,
        desk_link=desk_link,
        silence_line=_("Cost of silence") + ": " + (silence or request_silence(request=request)).line,
        reply_by_mail=reply_by_mail,
        drill_line=(
            _("This is a drill: answer as you would for real; nothing is published.") if request.is_drill else ""
        ),
    )


def email_bodies(message: StepMessage) -> tuple[str, str]:
    """The text and HTML alternatives of the e-mail (templates escape what strangers wrote)."""
    context = {"message": message}
    return (
        render_to_string("escalation/email/step.txt", context).strip() + "\n",
        render_to_string("escalation/email/step.html", context),
    )


def chat_flavour(url: str) -> str:
    """ "slack", "teams" or "plain": the payload shape the webhook at `url` understands."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "hooks.slack.com":
        return "slack"
    if host.endswith(TEAMS_HOST_SUFFIXES):
        return "teams"
    return "plain"


def chat_payload(message: StepMessage, *, url: str) -> dict[str, Any]:
    """The JSON body to POST to the chat webhook at `url`."""
    flavour = chat_flavour(url)
    if flavour == "slack":
        return slack_payload(message)
    if flavour == "teams":
        return teams_payload(message)
    return {"text": f"{message.subject}\n{message.link}"}


def slack_escape(text: str) -> str:
    """Slack mrkdwn's three control characters, escaped as its documentation asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")



def slack_button(text: str, *, action_id: str, value: str, url: str = "", primary: bool = False) -> dict[str, Any]:
    """A Block Kit button: with `url` it opens the page (Slack still posts the click to the interactivity
    URL); without, the click is only posted there, verified (`escalation.slack`) and handled."""
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if url:
        button["url"] = url
    if primary:
        button["style"] = "primary"
    return button


def _slack_buttons(message: StepMessage) -> list[dict[str, Any]]:
    """Acknowledge and Answer: url buttons to the signed page, or, when the app has a bot token, buttons
    whose click opens a modal (`escalation.views_slack`), beside a third one that opens the page."""
    modal = bool(settings.SLACK_BOT_TOKEN)
    buttons = [
        slack_button(
            _("Acknowledge"),
            action_id=SLACK_ACTION_ACKNOWLEDGE,
            url="" if modal else message.link,
            value=str(message.request_id),
            primary=False,
        ),
        slack_button(
            _("Answer"),
            action_id=SLACK_ACTION_ANSWER,
            url="" if modal else message.link + "#answer",
            value=str(message.request_id),
            primary=True,
        ),
    ]
    if modal:
        buttons.append(
            slack_button(
                _("Open the page"),
                action_id=SLACK_ACTION_OPEN,
                url=message.link,
                value=str(message.request_id),
                primary=False,
            )
        )
    return buttons


def slack_payload(message: StepMessage) -> dict[str, Any]:
    """Block Kit: the question, its context (mentions, deadline, step) and two buttons to the signed page."""
    mention_lines = [f"> *@{slack_escape(handle)}*: {slack_escape(text)}" for handle, text in message.mentions]
    details = f"{_('Answer by')} {message.due} · {slack_escape(message.department)} · {message.step_line}"
    context_elements = [{"type": "mrkdwn", "text": details}]
    if message.silence_line:
        context_elements.append({"type": "mrkdwn", "text": slack_escape(message.silence_line)})
    if message.drill_line:
        context_elements.insert(0, {"type": "mrkdwn", "text": f"*{slack_escape(message.drill_line)}*"})
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{slack_escape(message.subject)}*\n{slack_escape(message.question)}"[:SLACK_TEXT_LIMIT],
            },
        },
    ]
    if mention_lines:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(mention_lines)[:SLACK_TEXT_LIMIT]}}
        )
    blocks += [
        {"type": "context", "elements": context_elements},
        {"type": "actions", "block_id": f"escalation-{message.request_id}", "elements": _slack_buttons(message)},
    ]
    return {"text": f"{slack_escape(message.subject)}\n{message.link}", "blocks": blocks}


def teams_card(message: StepMessage) -> dict[str, Any]:
    """An Adaptive Card 1.5: the question, the mentions as facts, and buttons to the signed page."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": message.subject, "weight": "Bolder", "size": "Medium", "wrap": True},
        *(
            [{"type": "TextBlock", "text": message.drill_line, "wrap": True, "weight": "Bolder", "color": "Warning"}]
            if message.drill_line
            else []
        ),
        {"type": "TextBlock", "text": message.question, "wrap": True},
        {
            "type": "FactSet",
            "facts": [
                {"title": _("Department"), "value": message.department},
                {"title": _("Answer by"), "value": message.due},
                {"title": _("Step"), "value": message.step_line},
            ],
        },
    ]
    if message.silence_line:
        body.append({"type": "TextBlock", "text": message.silence_line, "wrap": True, "color": "Attention"})
    for handle, text in message.mentions:
        body.append({"type": "TextBlock", "text": f"@{handle}: {text}", "wrap": True, "isSubtle": True})
    return adaptive_card(
        body=body,
        actions=[
            {"type": "Action.OpenUrl", "title": _("Acknowledge"), "url": message.link},
            {"type": "Action.OpenUrl", "title": _("Answer"), "url": message.link + "#answer", "style": "positive"},
        ],
    )


def adaptive_card(*, body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    """An Adaptive Card 1.5 (the version Teams renders) with these elements and actions."""
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
        "actions": actions,
    }


def teams_envelope(card: dict[str, Any]) -> dict[str, Any]:
    """The Workflows webhook's message envelope around one Adaptive Card."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def teams_payload(message: StepMessage) -> dict[str, Any]:
    """The Workflows webhook envelope around the card."""
    return teams_envelope(teams_card(message))
