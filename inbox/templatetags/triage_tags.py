"""Triage's reasons and confidence as a community manager reads them."""

from __future__ import annotations

from django import template

from inbox.triage.reasons import reason_display

register = template.Library()


@register.filter
def triage_reason(reason: str) -> str:
    """ "Legal threat: abogado" with the label in the page's language."""
    return reason_display(str(reason))


@register.filter
def percent(value: float | None) -> str:
    return "" if value is None else f"{round(float(value) * 100)} %"
