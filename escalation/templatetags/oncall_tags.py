"""Durations for the responsiveness tables: seconds as "45 s", "12 min", "3 h 05 min", "2 d 4 h"."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    if seconds is None or seconds == "":
        return "—"
    total = round(float(seconds))
    if total < 60:
        return _("%(seconds)s s") % {"seconds": total}
    minutes = total // 60
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(hours)s h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}


@register.filter
def percent(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)} %"
