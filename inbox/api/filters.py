from typing import Any

import django_filters

from inbox.models import Category, ChannelKind, Mention, MentionStatus, Sentiment
from inbox.queue import breach_soon_before
from inbox.selectors import inbox_filter


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
