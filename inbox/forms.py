from django import forms
from django.utils.translation import gettext_lazy as _

from inbox.models import Category, ChannelKind, MentionStatus, Sentiment


class InboxFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    status = forms.ChoiceField(required=False, choices=[("", _("Open"))] + list(MentionStatus.choices) + [("all", _("All"))])
    category = forms.ChoiceField(required=False, choices=[("", _("Any category"))] + list(Category.choices))
    sentiment = forms.ChoiceField(required=False, choices=[("", _("Any sentiment"))] + list(Sentiment.choices))
    channel = forms.ChoiceField(required=False, choices=[("", _("Any channel"))] + list(ChannelKind.choices))
    mine = forms.BooleanField(required=False, label=_("Mine"))


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, label=_("Reply"))
    take_over = forms.BooleanField(required=False, label=_("Take the mention over"))


class HideForm(forms.Form):
    reason = forms.CharField(max_length=200, label=_("Reason"))
    as_troll = forms.BooleanField(required=False, label=_("Troll: do not feed"))
