"""Reads for escalation."""

from __future__ import annotations

from django.db.models import Q

from escalation.models import Department


def department_ids_for_user(user) -> list[int]:
    """Departments whose live group the user joins: those they head or belong to."""
    return list(
        Department.objects.filter(Q(heads=user) | Q(members=user)).values_list("id", flat=True).distinct()
    )
