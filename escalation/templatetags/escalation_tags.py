"""The "Escalate" panel on a mention page, rendered from the inbox's template with one include."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.template.context import Context
from django.utils import timezone

from crisisdesk.roles import user_role
from escalation import selectors
from escalation.forms import EscalateForm, promise_default
from escalation.models import Department
from escalation.views import RAISERS
from inbox.models import Mention

register = template.Library()


@register.inclusion_tag("escalation/_mention_panel_body.html", takes_context=True)
def escalation_mention_panel(context: Context, mention: Mention) -> dict[str, Any]:
    request = context["request"]
    departments = list(Department.objects.order_by("name"))
    defaults = selectors.default_deadline_minutes(departments=departments)
    suggested = (mention.suggested_department or "").lower()
    return {
        "mention": mention,
        "escalations": selectors.escalations_for_mention(mention_id=mention.pk),
        "may_raise": user_role(request.user) in RAISERS,
        "departments": [
            {
                "id": department.pk,
                "name": department.name,
                "default_minutes": defaults[department.pk],
                "selected": suggested in (department.slug, department.name.lower()),
            }
            for department in departments
        ],
        "form": EscalateForm(),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def escalation_promise_default() -> str:
    """The answer-by time an acknowledge form offers first, as a `datetime-local` value."""
    return promise_default()


@register.filter
def iso_local(value: object) -> str:
    """An ISO 8601 time kept in an event's data, shown as "d/m H:i" in the current time zone ("" if none)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    return timezone.localtime(moment).strftime("%d/%m %H:%M") if timezone.is_aware(moment) else ""
