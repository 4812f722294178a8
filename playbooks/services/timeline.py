"""The crisis timeline: every state change of a crisis appends one entry, in its transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import timezone

from crisisdesk.models import User
from playbooks import events
from playbooks.models import Crisis, CrisisEvent
from playbooks.timeline_texts import TIMELINE_TEXTS, timeline_params_clean, timeline_text_source


def crisis_event_add(
    *,
    crisis: Crisis,
    kind: str,
    key: str,
    params: Mapping[str, Any] | None = None,
    actor: User | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CrisisEvent:
    """Append an entry to the timeline (inside the caller's transaction) and tell open crisis rooms.

    The entry is stored as its message key and parameters, rendered later in each reader's language
    (`playbooks.timeline_texts`), with the English sentence beside them. Emits `crisis.updated`
    (part "timeline") after commit.
    """
    if key not in TIMELINE_TEXTS:
        raise ValueError(f"Unknown timeline message key: {key}")
    stored = timeline_params_clean(params or {})
    item = CrisisEvent.objects.create(
        crisis=crisis,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        message_key=key,
        params=stored,
        message=timeline_text_source(key, stored)[:500],
        data=data or {},
        created_at=at or timezone.now(),
    )
    events.publish_crisis_updated(crisis.pk, part="timeline")
    return item
