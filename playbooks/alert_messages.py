"""What an alert's message says, for each channel: e-mail (text and HTML), Slack, Teams, the webhook event.

Every message explains the alert (top terms, top clusters, example mentions, the baseline against
now) and carries the signed link to its "Acknowledge alert" page (`alert_links`). The chat shapes
are escalation's builders (`escalation.services.messages`: Slack Block Kit buttons, the Adaptive
Card 1.5 and its Teams envelope), so both kinds of message look and behave alike. Texts are in the
active language: the caller chooses it (`playbooks.services.alert_routing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.text import header_safe
from escalation.services.messages import (
    SLACK_TEXT_LIMIT,
    adaptive_card,
    drill_tag,
    slack_button,
    slack_escape,
    teams_envelope,
)
from inbox.drills import is_drill_brand
from playbooks.alert_links import slack_button_value
from playbooks.models import Alert

SLACK_ACTION_ALERT_ACKNOWLEDGE = "alert_acknowledge"
SLACK_ACTION_ALERT_OPEN = "alert_open"
EXAMPLES_SHOWN = 3


@dataclass(frozen=True)
class AlertMessage:
    """One alert's message at one step, ready for any channel."""

    alert_id: int
    subject: str
    headline: str
    baseline_line: str
    terms: str
    clusters: tuple[tuple[int, str], ...]
    examples: tuple[tuple[str, int, str], ...]
    link: str
    console_link: str
    step_line: str


def alert_message(*, alert: Alert, step: int, link: str) -> AlertMessage:
    """The subject and explanation of an alert's message, in the active language."""
    explanation = alert.explanation or {}
    prefix = _("Reminder") + " · " if step else ""
    if is_drill_brand(alert.brand):  # a drill's alert reaches the real people: it must say what it is
        prefix = f"{drill_tag()} {prefix}"
    subject = _("%(prefix)s[Crisis Desk] Alert for %(brand)s: %(signal)s, severity %(severity)d/10") % {
        "prefix": prefix,
        "brand": alert.brand,
        "signal": alert.get_signal_display(),
        "severity": alert.severity,
    }
    headline = _("%(topic)sSuggested: %(type)s crisis, level %(level)d. Started %(started)s.") % {
        "topic": (_("Topic") + f": {alert.topic}. ") if alert.topic else "",
        "type": alert.get_suggested_type_display(),
        "level": alert.suggested_level,
        "started": timezone.localtime(alert.started_at).strftime("%d/%m %H:%M"),
    }
    baseline_line = _(
        "Now %(now).1f a minute against a baseline of %(mean).1f ± %(std).1f (threshold %(threshold).1f)."
    ) % {
        "now": alert.observed,
        "mean": alert.baseline_mean,
        "std": alert.baseline_std,
        "threshold": alert.threshold,
    }
    return AlertMessage(
        alert_id=alert.pk,
        subject=header_safe(subject, limit=255),
        headline=headline,
        baseline_line=baseline_line,
        terms=", ".join(explanation.get("top_terms", [])[:8]),
        clusters=tuple(
            (int(cluster.get("in_window", 0)), str(cluster.get("text", ""))[:200])
            for cluster in explanation.get("top_clusters", [])[:3]
        ),
        examples=tuple(
            (str(sample.get("handle", "")), int(sample.get("followers", 0)), str(sample.get("text", ""))[:280])
            for sample in explanation.get("sample_mentions", [])[:EXAMPLES_SHOWN]
        ),
        link=link,
        console_link=settings.PUBLIC_BASE_URL + reverse("playbooks:alert_detail", args=[alert.pk]),
        step_line=(
            _("Re-notification %(step)d: nobody has acknowledged the alert yet.") % {"step": step} if step else ""
        ),
    )


def email_bodies(message: AlertMessage) -> tuple[str, str]:
    """The text and HTML alternatives (templates escape what strangers wrote)."""
    context = {"message": message}
    return (
        render_to_string("playbooks/email/alert.txt", context).strip() + "\n",
        render_to_string("playbooks/email/alert.html", context),
    )


def _explanation_mrkdwn(message: AlertMessage) -> str:
    lines = [slack_escape(message.baseline_line)]
    if message.terms:
        lines.append(f"*{_('Top terms')}:* {slack_escape(message.terms)}")
    for count, text in message.clusters:
        lines.append(f"• {_('Cluster')} ({count}): {slack_escape(text)}")
    for handle, followers, text in message.examples:
        lines.append(f"> *@{slack_escape(handle)}* ({followers}): {slack_escape(text)}")
    return "\n".join(lines)[:SLACK_TEXT_LIMIT]


def slack_payload(message: AlertMessage) -> dict[str, Any]:
    """Block Kit: subject and headline, the explanation, and two buttons: acknowledge here, open the page."""
    context = [{"type": "mrkdwn", "text": slack_escape(message.step_line or message.headline)}]
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{slack_escape(message.subject)}*\n{slack_escape(message.headline)}"[:SLACK_TEXT_LIMIT],
            },
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": _explanation_mrkdwn(message)}},
        {"type": "context", "elements": context},
        {
            "type": "actions",
            "block_id": f"alert-{message.alert_id}",
            "elements": [
                slack_button(
                    _("Acknowledge alert"),
                    action_id=SLACK_ACTION_ALERT_ACKNOWLEDGE,
                    value=slack_button_value(alert_id=message.alert_id),
                    primary=True,
                ),
                slack_button(
                    _("Open"), action_id=SLACK_ACTION_ALERT_OPEN, value=str(message.alert_id), url=message.link
                ),
            ],
        },
    ]
    return {"text": f"{slack_escape(message.subject)}\n{message.link}", "blocks": blocks}


def teams_card(message: AlertMessage) -> dict[str, Any]:
    """An Adaptive Card 1.5: subject, headline, baseline against now as facts, terms, clusters, examples."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": message.subject, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": message.headline, "wrap": True},
        {"type": "TextBlock", "text": message.baseline_line, "wrap": True, "color": "Attention"},
    ]
    if message.step_line:
        body.append({"type": "TextBlock", "text": message.step_line, "wrap": True, "isSubtle": True})
    facts = [{"title": _("Top terms"), "value": message.terms}] if message.terms else []
    facts += [{"title": f"{_('Cluster')} ({count})", "value": text} for count, text in message.clusters]
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    for handle, followers, text in message.examples:
        body.append({"type": "TextBlock", "text": f"@{handle} ({followers}): {text}", "wrap": True, "isSubtle": True})
    return adaptive_card(
        body=body,
        actions=[{"type": "Action.OpenUrl", "title": _("Acknowledge alert"), "url": message.link, "style": "positive"}],
    )


def teams_payload(message: AlertMessage) -> dict[str, Any]:
    return teams_envelope(teams_card(message))


def webhook_event_payload(alert: Alert) -> dict[str, Any]:
    """The `alert.opened` event's data (integrations sends it signed, or as Slack text)."""
    return {
        "alert": {
            "id": alert.pk,
            "brand": alert.brand,
            "signal": alert.signal,
            "signal_label": str(alert.get_signal_display()),
            "topic": alert.topic,
            "severity": alert.severity,
            "suggested_level": alert.suggested_level,
            "suggested_type": alert.suggested_type,
            "started_at": alert.started_at.isoformat(),
            "url": settings.PUBLIC_BASE_URL + reverse("playbooks:alert_detail", args=[alert.pk]),
            "explanation": {
                key: (alert.explanation or {}).get(key)
                for key in ("baseline", "now", "top_terms", "top_clusters", "sample_mentions")
            },
        }
    }
