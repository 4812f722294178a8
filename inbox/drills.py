"""What every app asks about drills without importing playbooks: is this channel, brand or mention a drill's?

A drill (`playbooks.models_drills.Drill`) replays a past crisis on a channel of its own kind
(`ChannelKind.DRILL`, whose connector publishes nowhere) and under a brand of its own, so that its
minute rollups, alerts and crises never mix with the real brand's: `drill_brand` names it, and
`is_drill_brand` recognises it on an alert, a crisis or a rollup.
"""

from __future__ import annotations

from typing import Any

from inbox.models import ChannelKind

DRILL_KIND = ChannelKind.DRILL.value
DRILL_BRAND_PREFIX = "DRILL-"
BRAND_MAX_LENGTH = 80


def drill_brand(*, drill_id: int, brand: str) -> str:
    """The brand a drill's workspace runs under: its mentions, rollups, alerts and crises carry it."""
    return f"{DRILL_BRAND_PREFIX}{drill_id} {brand}"[:BRAND_MAX_LENGTH]


def is_drill_brand(brand: str | None) -> bool:
    return bool(brand) and str(brand).startswith(DRILL_BRAND_PREFIX)


def is_drill_channel(channel: Any) -> bool:
    return getattr(channel, "kind", "") == DRILL_KIND


def is_drill_mention(mention: Any) -> bool:
    return is_drill_channel(getattr(mention, "channel", None))
