"""The crisis timeline's sentences: one registry from message key to translatable text.

A timeline entry is stored as a key and its parameters (`CrisisEvent.message_key`, `params`) and
rendered when read, in the reader's language: the director who reads the room in Spanish sees
Spanish, whatever language the person who ticked the step was using. Parameters that are codes
(a status, an alert signal) are stored as codes and shown with the reader's label.

Keys are stored in the database, so they are never renamed or removed; a new wording keeps its key.
Entries written before keys existed have none and are shown as their stored text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from playbooks.choices import AlertSignal, CrisisStatus, IncidentRole

SOURCE_LANGUAGE = "en"
MAX_PARAM_LENGTH = 500


def _status_label(code: Any) -> str:
    """A status in the middle of a sentence: the reader's label, lower case."""
    return str(CrisisStatus(code).label).lower() if code in CrisisStatus.values else str(code)


def _signal_label(code: Any) -> str:
    return str(AlertSignal(code).label) if code in AlertSignal.values else str(code)


def _incident_role_label(code: Any) -> str:
    """An incident role in the middle of a sentence: the reader's label, lower case."""
    return str(IncidentRole(code).label).lower() if code in IncidentRole.values else str(code)


def _time_label(value: Any) -> str:
    """A moment stored as ISO 8601, shown as the server's local hour and minute."""
    moment = parse_datetime(str(value)) if value else None
    return timezone.localtime(moment).strftime("%H:%M") if moment else "—"


@dataclass(frozen=True)
class TimelineText:
    """A sentence with `%(name)s` placeholders; `labels` turn stored codes into the reader's words."""

    text: Promise
    labels: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)


TIMELINE_TEXTS: dict[str, TimelineText] = {
    "crisis.declared": TimelineText(_("Crisis declared at level %(level)s by %(actor)s")),
    "crisis.level_changed": TimelineText(_("Level changed from %(from)s to %(to)s by %(actor)s")),
    "crisis.status_changed": TimelineText(
        _("Status changed from %(from)s to %(to)s by %(actor)s"),
        labels={"from": _status_label, "to": _status_label},
    ),
    "alert.joined": TimelineText(
        _("Alert: %(signal)s %(topic)s (severity %(severity)s)"), labels={"signal": _signal_label}
    ),
    "escalation.sent": TimelineText(_("Escalation request sent to %(department)s")),
    "escalation.unknown_department": TimelineText(_("The playbook names an unknown department: %(department)s")),
    "checklist.done": TimelineText(_("Done: %(step)s")),
    "checklist.reopened": TimelineText(_("Reopened: %(step)s")),
    "statement.submitted": TimelineText(_("Statement submitted for approval by %(actor)s")),
    "statement.submitted_without_approver": TimelineText(
        _("Statement submitted for approval by %(actor)s; another approver is needed")
    ),
    "statement.approved": TimelineText(_("Statement approved by %(actor)s")),
    "statement.approved_with_comment": TimelineText(_("Statement approved by %(actor)s: %(comment)s")),
    "statement.returned": TimelineText(_("Statement sent back by %(actor)s")),
    "statement.returned_with_comment": TimelineText(_("Statement sent back by %(actor)s: %(comment)s")),
    "posts.frozen": TimelineText(_("Scheduled posts frozen")),
    "posts.released": TimelineText(_("Scheduled posts released")),
    "publishing.suspended": TimelineText(
        _("Scheduled publishing suspended by %(actor)s: %(reason)s. Posts held: %(count)s")
    ),
    "publishing.already_suspended": TimelineText(_("Scheduled publishing was already suspended: %(reason)s")),
    "publishing.resumed": TimelineText(
        _("Scheduled publishing resumed by %(actor)s. Posts still held, to release one by one: %(count)s")
    ),
    "post.released": TimelineText(_("Held post on %(channel)s released by %(actor)s, to go out at %(time)s")),
    "statement.published": TimelineText(_("Statement published on %(channels)s by %(actor)s")),
    "revision.case_recorded": TimelineText(_("Unforeseen case recorded: %(case)s")),
    "role.assigned": TimelineText(_("%(actor)s named %(person)s %(role)s"), labels={"role": _incident_role_label}),
    "role.declarer_leads": TimelineText(_("%(person)s leads the crisis, having declared it")),
    "role.unassigned": TimelineText(
        _("%(actor)s took the %(role)s role from %(person)s"), labels={"role": _incident_role_label}
    ),
    "checklist.assigned": TimelineText(
        _("Step assigned to %(person)s by %(actor)s, due at %(due)s: %(step)s"), labels={"due": _time_label}
    ),
    "checklist.unassigned": TimelineText(_("Step left without anyone by %(actor)s: %(step)s")),
    "checklist.steps_added": TimelineText(
        ngettext_lazy("%(count)s step added for level %(level)s", "%(count)s steps added for level %(level)s", "count")
    ),
    "checklist.escalated": TimelineText(_("Overdue step escalated to %(person)s: %(step)s")),
}


def timeline_params_clean(params: Mapping[str, Any]) -> dict[str, Any]:
    """What is stored: JSON scalars, long texts cut, so one entry stays one readable line."""
    cleaned: dict[str, Any] = {}
    for name, value in params.items():
        if value is None or isinstance(value, bool | int | float):
            cleaned[name] = value
        else:
            cleaned[name] = str(value)[:MAX_PARAM_LENGTH]
    return cleaned


def timeline_text_render(key: str, params: Mapping[str, Any], *, fallback: str = "") -> str:
    """The entry in the active language; an unknown key (or none) shows the stored text."""
    entry = TIMELINE_TEXTS.get(key)
    if entry is None:
        return fallback
    values = {
        name: entry.labels[name](value) if name in entry.labels else value for name, value in params.items()
    }
    try:
        return str(entry.text % values)  # a plural picks its form from the values
    except (KeyError, TypeError, ValueError):
        return fallback or str(entry.text)


def timeline_text_source(key: str, params: Mapping[str, Any]) -> str:
    """The entry in the source language, stored beside the key for exports, the admin and old readers."""
    with translation.override(SOURCE_LANGUAGE):
        return timeline_text_render(key, params)
