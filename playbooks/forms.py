"""Forms for crisis pages. They only parse and validate; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crisisdesk.models import Role
from crisisdesk.text import validate_single_line
from inbox.models import MentionCluster
from playbooks.choices import IncidentRole
from playbooks.content import (
    ContentInvalid,
    content_clean,
    steps_parse,
    steps_text,
    templates_parse,
    templates_text,
)
from playbooks.errors import TITLE_REQUIRED
from playbooks.incident_selectors import crisis_people_assignable
from playbooks.models import Alert, AlertStatus, ApprovalMode, CrisisType

LEVEL_CHOICES = [(1, _("1 · Watch")), (2, _("2 · Crisis")), (3, _("3 · Severe crisis"))]


class DeclareForm(forms.Form):
    """A declaration: posted once to see what it will do, then again with `confirmed` to do it."""

    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        strip=True,
        validators=[validate_single_line],
        error_messages={"required": TITLE_REQUIRED},
    )
    crisis_type = forms.ChoiceField(label=_("Type"), choices=CrisisType.choices)
    level = forms.TypedChoiceField(label=_("Level"), choices=LEVEL_CHOICES, coerce=int)
    alert = forms.ModelChoiceField(
        label=_("From the alert"),
        queryset=Alert.objects.none(),
        required=False,
        empty_label=_("none"),
        help_text=_("Its mentions are linked to the crisis."),
    )
    cluster = forms.ModelChoiceField(
        label=_("From the cluster"), queryset=MentionCluster.objects.all(), required=False, widget=forms.HiddenInput
    )
    link_alert_mentions = forms.BooleanField(label=_("Link the alert's mentions"), required=False, initial=True)
    another_wanted = forms.BooleanField(
        label=_("This is another crisis: declare it even if one of the same type is open"), required=False
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        alert_field = self.fields["alert"]
        assert isinstance(alert_field, forms.ModelChoiceField)
        alert_field.queryset = Alert.objects.filter(status=AlertStatus.OPEN, crisis__isnull=True).order_by(
            "-severity", "-started_at"
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("confirmed"):
            # The first post proposes linking the alert's mentions; the confirmation page lets the user untick it.
            cleaned["link_alert_mentions"] = True
        return cleaned


class LevelForm(forms.Form):
    level = forms.TypedChoiceField(label=_("Level"), choices=LEVEL_CHOICES, coerce=int)


class RoleForm(forms.Form):
    """Name someone to an incident role, or take it from them (`user` is one of the console staff)."""

    role = forms.ChoiceField(label=_("Role"), choices=IncidentRole.choices)
    user = forms.ModelChoiceField(label=_("Person"), queryset=crisis_people_assignable(), empty_label=None)


class ChecklistAssignForm(forms.Form):
    """A step's person (none: back to the holder of its role) and due time (empty: unchanged)."""

    assignee = forms.ModelChoiceField(
        label=_("Person in charge"), queryset=crisis_people_assignable(), required=False, empty_label=_("Nobody")
    )
    due_at = forms.DateTimeField(
        label=_("Due at"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class StatementForm(forms.Form):
    body = forms.CharField(label=_("Statement"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)


class StatementDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Send back"))])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)


class RevisionForm(forms.Form):
    case = forms.CharField(
        label=_("What happened that the playbook did not foresee?"), widget=forms.Textarea(attrs={"rows": 3})
    )
    step_text = forms.CharField(label=_("Step to add"), max_length=500, required=False)
    role = forms.ChoiceField(label=_("Responsible"), choices=Role.choices, initial=Role.COMMUNITY_MANAGER)
    minutes = forms.IntegerField(
        label=_("Deadline (minutes after declaration)"), min_value=0, max_value=43200, initial=0
    )
    principle = forms.CharField(label=_("Principle to add"), max_length=500, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("step_text", "").strip() and not data.get("principle", "").strip():
            raise forms.ValidationError(_("Propose a step or a principle to add."))
        return data


class PlaybookForm(forms.Form):
    """The whole content of a version, one textarea line per step or template."""

    title = forms.CharField(label=_("Title"), max_length=160, validators=[validate_single_line])
    summary = forms.CharField(
        label=_("When it applies"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    steps = forms.CharField(
        label=_("Steps: one per line, 'minutes | role | step'"), widget=forms.Textarea(attrs={"rows": 8})
    )
    decision_makers = forms.CharField(label=_("Decision makers (usernames or role:director)"), required=False)
    notify = forms.CharField(label=_("Notify on declaration (usernames or role:…)"), required=False)
    departments = forms.CharField(label=_("Departments to inform (slugs)"), required=False)
    approvers = forms.CharField(label=_("Statement approvers (usernames or role:…)"), required=False)
    approval = forms.ChoiceField(label=_("Approval"), choices=ApprovalMode.choices)
    templates = forms.CharField(
        label=_("Response templates: one per line, 'name | text' with {variables}"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    holding_statement = forms.CharField(
        label=_("Holding statement"), widget=forms.Textarea(attrs={"rows": 3})
    )
    principles = forms.CharField(
        label=_("Principles (one per line)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)

    @classmethod
    def initial_from(cls, content: dict) -> dict:
        content = content_clean(content)
        return {
            **{key: content[key] for key in ("title", "summary", "approval", "holding_statement")},
            "steps": steps_text(content["steps"]),
            "templates": templates_text(content["templates"]),
            "principles": "\n".join(content["principles"]),
            **{
                key: ", ".join(content[key])
                for key in ("decision_makers", "notify", "departments", "approvers")
            },
        }

    def content(self) -> dict:
        data = self.cleaned_data
        try:
            return content_clean(
                {
                    **{key: data[key] for key in ("title", "summary", "approval", "holding_statement")},
                    "steps": steps_parse(data["steps"]),
                    "templates": templates_parse(data["templates"]),
                    "principles": data["principles"].splitlines(),
                    **{key: data[key] for key in ("decision_makers", "notify", "departments", "approvers")},
                }
            )
        except ContentInvalid as error:
            raise forms.ValidationError(str(error)) from error

    def clean(self):
        data = super().clean()
        if not self.errors:
            self.cleaned_content = self.content()
        return data
