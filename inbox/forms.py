from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from inbox.models import Category, ChannelKind, MentionStatus, Sentiment

ASSIGNEE_CHOICES = [("", _("Anyone")), ("mine", _("Mine")), ("unassigned", _("Unassigned"))]


class InboxFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=200,
        label=_("Search"),
        widget=forms.TextInput(attrs={"placeholder": _("Search"), "type": "search"}),
    )
    status = forms.ChoiceField(
        required=False, choices=[("", _("Open"))] + list(MentionStatus.choices) + [("all", _("All"))]
    )
    category = forms.ChoiceField(required=False, choices=[("", _("Any category"))] + list(Category.choices))
    sentiment = forms.ChoiceField(
        required=False, choices=[("", _("Any sentiment"))] + list(Sentiment.choices)
    )
    channel = forms.ChoiceField(required=False, choices=[("", _("Any channel"))] + list(ChannelKind.choices))
    language = forms.CharField(
        required=False,
        max_length=8,
        label=_("Language"),
        validators=[RegexValidator(r"^[a-z]{2,3}$", _("Use a language code such as es or en."))],
        widget=forms.TextInput(attrs={"placeholder": _("Language (es, en…)"), "size": 6}),
    )
    assignee = forms.ChoiceField(required=False, choices=ASSIGNEE_CHOICES, label=_("Assignee"))
    crisis = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Crisis"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from playbooks.models import Crisis

        crises = Crisis.objects.order_by("-detected_at").values_list("pk", "title")[:50]
        self.fields["crisis"].choices = [("", _("Any crisis"))] + [(pk, title) for pk, title in crises]


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, label=_("Reply"))
    take_over = forms.BooleanField(required=False, label=_("Take the mention over"))


class HideForm(forms.Form):
    reason = forms.CharField(max_length=200, label=_("Reason"))
    as_troll = forms.BooleanField(required=False, label=_("Troll: do not feed"))
