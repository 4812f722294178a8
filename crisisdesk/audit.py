"""The audit trail: one function writes it, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models

from crisisdesk.models import AuditEvent, User


def audit_target_type(target: models.Model) -> str:
    """The model's label, or the one it declares as `audit_target_type` (a model that moved to another app
    keeps its old label, so one object's trail does not change name halfway)."""
    return getattr(target, "audit_target_type", None) or target._meta.label_lower


def audit_record(*, actor: User | None, verb: str, target: models.Model, data: dict[str, Any] | None = None) -> None:
    AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        verb=verb,
        target_type=audit_target_type(target),
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
                target_type=audit_target_type(target),
                target_id=str(target.pk),
                data=data or {},
            )
            for target in targets
        ]
    )
