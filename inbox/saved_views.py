"""The inbox's saved views: named presets of its filters, kept as query strings so a link is the view."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from inbox import hooks

# Parameters that do not change which view is shown (free text is narrowed inside any view, the order and
# the page cursor only arrange it).
IGNORED_PARAMETERS = {"q", "sort", "cursor"}


@dataclass(frozen=True)
class SavedView:
    key: str
    label: str
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> str:
        return urlencode(self.parameters)

    def matches(self, query: Mapping[str, str]) -> bool:
        given = {name: value for name, value in query.items() if value and name not in IGNORED_PARAMETERS}
        return given == self.parameters


def saved_views() -> list[SavedView]:
    """Every community manager's views: all open, open complaints, mine, unassigned, about to breach the
    response target, and one per active crisis."""
    views = [
        SavedView("open", _("All open")),
        SavedView("complaints", _("Unanswered: complaints"), {"category": "complaint"}),
        SavedView("mine", _("Mine"), {"assignee": "mine"}),
        SavedView("unassigned", _("Unassigned"), {"assignee": "unassigned"}),
        SavedView("breaching", _("About to breach"), {"due": "soon"}),
    ]
    for crisis_id in hooks.crisis_reader().active_crisis_ids(limit=3):
        label = _("Crisis #%(number)d") % {"number": crisis_id}
        views.append(SavedView(f"crisis-{crisis_id}", label, {"crisis": str(crisis_id)}))
    return views


def saved_view_current(views: list[SavedView], query: Mapping[str, str]) -> SavedView | None:
    return next((view for view in views if view.matches(query)), None)
