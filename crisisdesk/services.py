"""Writes every app shares: the heartbeat of background processes."""

from __future__ import annotations

from django.utils import timezone

from crisisdesk.models import Heartbeat


def heartbeat_record(*, name: str, detail: dict | None = None) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now(), "detail": detail or {}})
