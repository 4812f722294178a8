"""Forms for alert routes and brand vocabularies. They only parse and validate; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crisisdesk.models import Role, User
from escalation.models import Department
from playbooks.choices import CrisisLevel, CrisisType
from playbooks.models import AlertRoute

STAFF_ROLES = (Role.COMMUNITY_MANAGER, Role.DIRECTOR, Role.ADMIN, Role.DEPARTMENT_HEAD)


def _people() -> Any:
    return User.objects.filter(is_active=True).order_by("first_name", "username")


class AlertRouteForm(forms.Form):
    """A route; chat webhooks are write-only (stored encrypted): blank keeps the one saved, "clear" removes it."""

    name = forms.CharField(label=_("Name"), max_length=120)
    brand = forms.CharField(label=_("Brand"), max_length=80, required=False, help_text=_("Blank: every brand."))
    min_severity = forms.IntegerField(label=_("Minimum severity"), min_value=1, max_value=10, initial=1)
    min_level = forms.TypedChoiceField(
        label=_("Minimum suggested level"), choices=CrisisLevel.choices[1:], coerce=int, initial=CrisisLevel.WATCH
    )
    crisis_types = forms.MultipleChoiceField(
        label=_("Crisis types"), choices=CrisisType.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: every type."),
    )
    users = forms.ModelMultipleChoiceField(label=_("People"), queryset=User.objects.none(), required=False)
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments (their on-call now)"), queryset=Department.objects.none(), required=False
    )
    send_email = forms.BooleanField(label=_("E-mail the people"), required=False, initial=True)
    slack_url = forms.CharField(label=_("Slack webhook"), max_length=500, required=False)
    slack_clear = forms.BooleanField(label=_("Remove the Slack webhook"), required=False)
    teams_url = forms.CharField(label=_("Teams webhook"), max_length=500, required=False)
    teams_clear = forms.BooleanField(label=_("Remove the Teams webhook"), required=False)
    emit_webhook_event = forms.BooleanField(label=_("Send the alert.opened webhook event"), required=False)
    renotify_minutes = forms.IntegerField(
        label=_("Re-notify after (minutes)"), min_value=0, max_value=1440, initial=10,
        help_text=_("0: never re-notify."),
    )
    renotify_times = forms.IntegerField(label=_("Re-notify at most (times)"), min_value=0, max_value=20, initial=3)
    renotify_users = forms.ModelMultipleChoiceField(
        label=_("Re-notify instead"), queryset=User.objects.none(), required=False,
        help_text=_("Empty: the same people again."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = _people()
        self.fields["users"].queryset = people  # type: ignore[attr-defined]
        self.fields["renotify_users"].queryset = people  # type: ignore[attr-defined]
        self.fields["departments"].queryset = Department.objects.order_by("name")  # type: ignore[attr-defined]

    @classmethod
    def for_route(cls, route: AlertRoute) -> AlertRouteForm:
        initial = {
            name: getattr(route, name)
            for name in ("name", "brand", "min_severity", "min_level", "crisis_types", "send_email",
                         "emit_webhook_event", "renotify_minutes", "renotify_times", "is_active")
        }
        initial |= {name: list(getattr(route, name).all()) for name in ("users", "departments", "renotify_users")}
        return cls(initial=initial)

    def webhooks(self) -> tuple[str | None, str | None]:
        """(slack, teams) for the service: None keeps the stored URL, "" removes it."""
        data = self.cleaned_data
        slack = "" if data["slack_clear"] else (data["slack_url"].strip() or None)
        teams = "" if data["teams_clear"] else (data["teams_url"].strip() or None)
        return slack, teams


class TopicForm(forms.Form):
    name = forms.CharField(label=_("Topic"), max_length=40, required=False)
    crisis_type = forms.ChoiceField(
        label=_("Suggests"), choices=[("", "—"), *CrisisType.choices], required=False
    )
    terms = forms.CharField(
        label=_("Terms"), widget=forms.Textarea(attrs={"rows": 4}), required=False, strip=False,
        help_text=_("One a line. A term matches words that start with it (factur: factura, facturación); "
                    "end it with a full stop to match the whole word only (ocu.)."),
    )


TopicFormSet = forms.formset_factory(TopicForm, extra=2, can_delete=True, max_num=30, validate_max=True)


class WatchTermsForm(forms.Form):
    watch_terms = forms.CharField(
        label=_("Watch terms"), widget=forms.Textarea(attrs={"rows": 5}), required=False, strip=False,
        help_text=_("One a line: words that matter even in small numbers (a boycott, a regulator, your CEO's name)."),
    )


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def topics_from(formset: Any) -> list[dict[str, Any]]:
    """The formset's topics, without blank or deleted rows."""
    topics = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE") or not (data.get("name") or "").strip():
            continue
        topics.append({"name": data["name"], "crisis_type": data["crisis_type"], "terms": lines(data["terms"])})
    return topics
