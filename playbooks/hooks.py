"""What playbooks tell the apps below them about crises, through `inbox.hooks.crisis_reader()`.

Registered in `PlaybooksConfig.ready()`; the inbox and escalation never import playbooks themselves.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from inbox.drills import DRILL_BRAND_PREFIX
from inbox.models import Mention
from playbooks.content import content_clean
from playbooks.models import ACTIVE_CRISIS_STATUSES, OPEN_CRISIS_STATUSES, Crisis, Statement, StatementStatus
from playbooks.selectors import crisis_banner, open_crisis_exists

STATEMENT_TEMPLATE_LIMIT = 5


class PlaybooksCrisisReader:
    """`inbox.hooks.CrisisReader` over the Crisis model."""

    def crisis_banner(self) -> Crisis | None:
        return crisis_banner()

    def open_crisis_exists(self, *, brand: str) -> bool:
        return open_crisis_exists(brand=brand)

    def open_crisis_level(self) -> int:
        """The level of the most serious open real crisis, 0 when none is open."""
        level = (
            Crisis.objects.filter(status__in=OPEN_CRISIS_STATUSES)
            .exclude(brand__startswith=DRILL_BRAND_PREFIX)
            .order_by("-level")
            .values_list("level", flat=True)
            .first()
        )
        return level or 0

    def crisis_get(self, *, crisis_id: int) -> Crisis | None:
        return Crisis.objects.filter(pk=crisis_id).first()

    def crisis_most_serious_open(self) -> Crisis | None:
        """The most serious open real crisis (a drill's never scales a real request's chain)."""
        return (
            Crisis.objects.filter(status__in=OPEN_CRISIS_STATUSES)
            .exclude(brand__startswith=DRILL_BRAND_PREFIX)
            .order_by("-level", "-detected_at")
            .first()
        )

    def mention_active_crisis(self, *, mention: Mention) -> Crisis | None:
        """The crisis a reply to this mention is written in: one the mention belongs to, else the banner's."""
        linked = (
            Crisis.objects.filter(mentions=mention, status__in=ACTIVE_CRISIS_STATUSES)
            .order_by("-level", "-declared_at")
            .first()
        )
        return linked or crisis_banner()

    def active_crisis_ids(self, *, limit: int) -> list[int]:
        """The declared or contained crises, most serious first."""
        crises = Crisis.objects.filter(status__in=ACTIVE_CRISIS_STATUSES).order_by("-level", "-declared_at")
        return list(crises.values_list("pk", flat=True)[:limit])

    def crisis_choices(self, *, limit: int) -> list[tuple[int, str]]:
        """(id, title) of the latest crises, newest detected first, for a filter's choices."""
        return list(Crisis.objects.order_by("-detected_at").values_list("pk", "title")[:limit])

    def crisis_reply_templates(self, *, crisis: Any) -> list[tuple[str, str]]:
        """(name, body) of the crisis's playbook templates, then its approved statements; none when broken."""
        try:
            content = content_clean(crisis.playbook_content)
        except ValueError:
            return []
        templates = [(template["name"], template["body"]) for template in content["templates"]]
        return templates + statement_templates(crisis=crisis)


def statement_templates(*, crisis: Crisis) -> list[tuple[str, str]]:
    """The crisis's approved statements, newest first: what the brand has said, word for word."""
    statements = Statement.objects.filter(crisis=crisis, status=StatementStatus.APPROVED)
    templates = []
    for statement in statements.order_by("-decided_at", "-pk")[:STATEMENT_TEMPLATE_LIMIT]:
        decided = timezone.localtime(statement.decided_at or statement.created_at).strftime("%H:%M")
        templates.append((gettext("Approved statement · %(time)s") % {"time": decided}, statement.body))
    return templates
