"""The audit trail: one function writes it, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models

from crisisdesk.models import AuditEvent, User


def audit_record(*, actor: User | None, verb: str, target: models.Model, data: dict[str, Any] | None = None) -> None:
    AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=data or {},
    )


def audit_record_many(
    *, actor: User | None, verb: str, targets: Sequence[models.Model], data: dict[str, Any] | None = None
) -> None:
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor if actor is not None and actor.is_authenticated else None,
                verb=verb,
                target_type=target._meta.label_lower,
                target_id=str(target.pk),
                data=data or {},
            )
            for target in targets
        ]
    )
