"""Forms of reply approvals: the rule (a bad pattern is a form error, never a 500) and the decisions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crisisdesk.models import Role, User
from inbox.approval_models import APPROVER_ROLE_CHOICES, ReplyApprovalRule
from inbox.approvals import patterns_parse

LEVEL_CHOICES = [(1, _("1 · Watch")), (2, _("2 · Crisis")), (3, _("3 · Severe crisis"))]


class _People(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.get_role_display()})"


class ApprovalRuleForm(forms.ModelForm):
    minimum_crisis_level = forms.TypedChoiceField(
        label=_("Hold replies from crisis level"), choices=LEVEL_CHOICES, coerce=int
    )
    new_starters = _People(
        label=_("Community managers whose replies wait"),
        queryset=User.objects.filter(role=Role.COMMUNITY_MANAGER, is_active=True).order_by("first_name", "username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("New starters: every reply they write during such a crisis waits for approval."),
    )
    risky_patterns = forms.CharField(
        label=_("Risky phrases"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_(
            "One per line, matched as whole words without case or accents. Start a line with “re:” for a "
            "regular expression."
        ),
    )
    approver_roles = forms.TypedMultipleChoiceField(
        label=_("Who approves, by role"),
        choices=APPROVER_ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    approvers = _People(
        label=_("Named approvers (supervisors)"),
        queryset=User.objects.filter(
            role__in=[Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN], is_active=True
        ).order_by("first_name", "username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    time_limit_minutes = forms.IntegerField(
        label=_("Time limit (minutes)"),
        min_value=1,
        max_value=240,
        help_text=_("Past it the reply is not sent: its author and the approvers are told."),
    )

    class Meta:
        model = ReplyApprovalRule
        fields = [
            "enabled",
            "minimum_crisis_level",
            "new_starters",
            "risky_patterns",
            "approver_roles",
            "approvers",
            "crisis_owner_approves",
            "time_limit_minutes",
        ]
        labels = {
            "enabled": _("Hold replies for approval during a crisis"),
            "crisis_owner_approves": _("The crisis owner (crisis lead) approves too"),
        }

    def clean_risky_patterns(self) -> str:
        text = self.cleaned_data.get("risky_patterns") or ""
        _patterns, errors = patterns_parse(text)
        if errors:
            raise forms.ValidationError(errors)
        return "\n".join(line.strip() for line in text.splitlines() if line.strip())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            not cleaned.get("approver_roles")
            and not cleaned.get("approvers")
            and not cleaned.get("crisis_owner_approves")
        ):
            raise forms.ValidationError(_("Name at least one approver: a role, a person or the crisis owner."))
        return cleaned


class ApproveForm(forms.Form):
    body = forms.CharField(label=_("Reply"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(required=False)


class RejectForm(forms.Form):
    comment = forms.CharField(
        label=_("Why (the author reads this)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
