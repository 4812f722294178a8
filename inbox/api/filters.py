from functools import lru_cache
from typing import Any

import django_filters
from django.http import QueryDict
from django.utils import translation
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend

from inbox.models import Category, ChannelKind, Mention, MentionStatus, Sentiment
from inbox.queue import breach_soon_before


class MentionFilter(django_filters.FilterSet):
    """The inbox's filters, shared by the page and the API through `inbox.selectors.inbox_filter`."""

    status = django_filters.ChoiceFilter(choices=list(MentionStatus.choices) + [("all", "all")], method="noop")
    category = django_filters.ChoiceFilter(choices=Category.choices, method="noop")
    sentiment = django_filters.ChoiceFilter(choices=Sentiment.choices, method="noop")
    channel = django_filters.ChoiceFilter(choices=ChannelKind.choices, method="noop")
    language = django_filters.CharFilter(max_length=8, method="noop")
    mine = django_filters.BooleanFilter(method="noop")
    unassigned = django_filters.BooleanFilter(method="noop")
    due = django_filters.ChoiceFilter(choices=[("soon", "soon")], method="noop")
    q = django_filters.CharFilter(max_length=200, method="noop")

    class Meta:
        model = Mention
        fields: list[str] = []

    def noop(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        return self.apply(queryset, self.form.cleaned_data, user=self.request.user)

    @staticmethod
    def apply(queryset, data: dict[str, Any], *, user):
        from inbox.selectors import inbox_filter

        queryset = inbox_filter(
            queryset,
            status=data.get("status") or "",
            category=data.get("category") or "",
            sentiment=data.get("sentiment") or "",
            channel_kind=data.get("channel") or "",
            assignee=user if data.get("mine") else None,
            unassigned=bool(data.get("unassigned")),
            search=data.get("q") or "",
            received_before=breach_soon_before() if data.get("due") == "soon" else None,
        )
        if data.get("language"):
            queryset = queryset.filter(language=data["language"])
        return queryset


class MentionFilterBackend(DjangoFilterBackend):
    """django-filter's backend for the mention list, with each distinct set of filter values validated
    once per process: a filter form deep-copies every filter and field when it is built, 7% of the
    list's CPU under bench/load.py, and the console sends the same few combinations over and over."""

    def filter_queryset(self, request, queryset, view):
        params = request.query_params
        key = tuple((name, tuple(params.getlist(name))) for name in MentionFilter.base_filters if name in params)
        cleaned, errors = _validated_filters(key, translation.get_language())
        if errors is not None:
            raise utils.translate_validation(errors)
        return MentionFilter.apply(queryset, cleaned, user=request.user)


@lru_cache(maxsize=1024)
def _validated_filters(
    key: tuple[tuple[str, tuple[str, ...]], ...], language: str | None
) -> tuple[dict[str, Any], Any]:
    """The cleaned filter values, or the errors in the reader's language, for one set of filter
    parameters (read-only: shared between requests)."""
    data = QueryDict(mutable=True)
    for name, values in key:
        data.setlist(name, list(values))
    filterset = MentionFilter(data, queryset=Mention.objects.none())
    if filterset.is_valid():
        return filterset.form.cleaned_data, None
    return {}, filterset.errors
