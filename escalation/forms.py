"""Forms for escalation pages: they validate input; the services decide."""

from __future__ import annotations

from django import forms
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


def form_errors(form: forms.Form) -> str:
    return "; ".join(" ".join(str(error) for error in errors) for errors in form.errors.values())
