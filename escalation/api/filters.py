"""The filters of the escalation list over HTTP."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from escalation.models import PENDING_STATUSES, EscalationRequest, RequestStatus


class EscalationRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices)
    department = django_filters.CharFilter(field_name="department__slug", max_length=40)
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    mention = django_filters.NumberFilter(field_name="mentions", min_value=1)
    crisis = django_filters.NumberFilter(field_name="crisis_id", min_value=1)

    class Meta:
        model = EscalationRequest
        fields: list[str] = []

    def filter_overdue(
        self, queryset: QuerySet[EscalationRequest], name: str, value: bool | None
    ) -> QuerySet[EscalationRequest]:
        overdue = Q(status__in=PENDING_STATUSES, due_at__lte=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
