"""Reads for crises and playbooks."""

from __future__ import annotations

from playbooks.models import Crisis, CrisisStatus


def crisis_banner() -> Crisis | None:
    """The most severe declared crisis, shown as a banner on every page."""
    return (
        Crisis.objects.filter(status=CrisisStatus.DECLARED)
        .only("id", "title", "level", "crisis_type", "status")
        .order_by("-level", "-declared_at")
        .first()
    )


def open_crisis_exists(*, brand: str) -> bool:
    from playbooks.models import OPEN_CRISIS_STATUSES

    return Crisis.objects.filter(brand=brand, status__in=OPEN_CRISIS_STATUSES).exists()
