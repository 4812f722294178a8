from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from inbox import hooks
from inbox.models import Category, ChannelKind, MentionStatus, Sentiment
from inbox.queue import SORT_CHOICES

ASSIGNEE_CHOICES = [("", _("Anyone")), ("mine", _("Mine")), ("unassigned", _("Unassigned"))]
DUE_CHOICES = [("", _("Any waiting time")), ("soon", _("About to breach the response target"))]


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
    sentiment = forms.ChoiceField(required=False, choices=[("", _("Any sentiment"))] + list(Sentiment.choices))
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
    due = forms.ChoiceField(required=False, choices=DUE_CHOICES, label=_("Response target"))
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, label=_("Order"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        crises = hooks.crisis_reader().crisis_choices(limit=50)
        self.fields["crisis"].choices = [("", _("Any crisis"))] + [(pk, title) for pk, title in crises]


class ReplyForm(forms.Form):
    # No max_length: the browser would cut a long paste silently. The network's limit is checked by the
    # service, which refuses with the length, and the page counts as the network does.
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label=_("Reply"))
    take_over = forms.BooleanField(required=False, label=_("Take the mention over"))


class HideForm(forms.Form):
    reason = forms.CharField(max_length=200, label=_("Reason"))
    as_troll = forms.BooleanField(required=False, label=_("Troll: do not feed"))


class BulkForm(forms.Form):
    """The inbox's bulk bar: an action on the ticked rows; hiding needs a reason."""

    action = forms.ChoiceField(
        choices=[("assign", _("Assign to me")), ("close", _("Close")), ("hide", _("Hide as troll"))]
    )
    ids = forms.CharField(required=False)
    reason = forms.CharField(required=False, max_length=200, label=_("Reason"))

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and hasattr(data, "getlist"):
            data = data.copy()
            data["ids"] = ",".join(data.getlist("ids"))
        super().__init__(data, *args, **kwargs)

    def clean_ids(self) -> list[int]:
        parts = [part.strip() for part in self.cleaned_data["ids"].split(",") if part.strip()]
        if not parts:
            raise forms.ValidationError(_("Select at least one mention."))
        if not all(part.isdigit() for part in parts):
            raise forms.ValidationError(_("Mention ids must be numbers."))
        return [int(part) for part in parts]


class ReplyChecksForm(forms.Form):
    text = forms.CharField(required=False, max_length=5000, strip=False)
    mention = forms.IntegerField(required=False, min_value=1)
