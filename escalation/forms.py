"""Forms for escalation pages: they validate input; the services decide."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from escalation.models import Department

MAX_DEADLINE_MINUTES = 7 * 24 * 60


class EscalateForm(forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.all(), label=_("Department"))
    question = forms.CharField(max_length=4000, label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}))
    due_in_minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_DEADLINE_MINUTES,
        label=_("Answer within (minutes)"),
        help_text=_("Empty: the department's policy decides."),
    )


class AnswerForm(forms.Form):
    text = forms.CharField(max_length=8000, label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))
    is_approved_wording = forms.BooleanField(
        required=False, label=_("Approved wording: community managers may reply with it")
    )


DEFAULT_PROMISE = timedelta(hours=1)


def promise_default(now: datetime | None = None) -> str:
    """The answer-by time a form offers first (an hour from now), as a `datetime-local` value."""
    return timezone.localtime((now or timezone.now()) + DEFAULT_PROMISE).strftime("%Y-%m-%dT%H:%M")


class AcknowledgeForm(forms.Form):
    """An acknowledgement names the time the department will answer by; the service checks the window."""

    promised_at = forms.DateTimeField(
        label=_("We will answer by"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        error_messages={
            "required": _("Say by when the department will answer (the promised time)."),
            "invalid": _("Write the promised time as a date and a time."),
        },
    )
    holding_line = forms.CharField(
        required=False,
        max_length=1000,
        label=_("Holding line (optional)"),
        help_text=_("What the community manager may publish meanwhile."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def form_errors(form: forms.Form) -> str:
    return "; ".join(" ".join(str(error) for error in errors) for errors in form.errors.values())


class HoldingLineForm(forms.Form):
    """A new holding line; the view narrows `department` to those the user manages."""

    department = forms.ModelChoiceField(queryset=Department.objects.none(), label=_("Department"))
    topic = forms.CharField(
        max_length=80,
        label=_("Topic"),
        help_text=_("A mention category (complaint, question…) or a word the mention's text contains."),
    )
    text = forms.CharField(max_length=1000, label=_("Holding line"), widget=forms.Textarea(attrs={"rows": 3}))
    approve = forms.BooleanField(required=False, initial=True, label=_("Approve it now"))

    def __init__(self, *args, departments=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if departments is not None:
            cast(forms.ModelChoiceField, self.fields["department"]).queryset = departments
