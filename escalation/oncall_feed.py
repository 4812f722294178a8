"""A department's on-call timeline as an iCalendar feed, and the signed token that opens it.

Authentication: calendar apps (Google Calendar, Outlook, Apple Calendar) subscribe to a URL and
send no session cookie, so the feed URL carries a signed token (`django.core.signing`, its own
salt) naming the user and the department. The token is checked on every fetch against the user as
they are then: still active, still allowed to see that department (a head who leaves it loses the
feed), and with the same password (the token holds a keyed digest of the password hash, so
changing the password revokes every feed URL handed out before). A signed-in browser may open the
feed without a token. The token never expires on its own: a subscription must keep working.
"""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from crisisdesk.models import User
from crisisdesk.text import user_display_name
from escalation.models import Department
from escalation.selectors_oncall import ShiftRow, on_call_departments_for

FEED_SALT = "escalation.oncall-feed"


def _password_key(user: User) -> str:
    return salted_hmac(FEED_SALT, user.password).hexdigest()[:16]


def feed_token_make(*, user: User, department: Department) -> str:
    """The token a user puts in their calendar app's subscription URL for this department."""
    return signing.dumps({"u": user.pk, "d": department.pk, "k": _password_key(user)}, salt=FEED_SALT)


def feed_token_user(*, token: str, department_id: int) -> User | None:
    """The user a token stands for, if it is genuine, for this department, and still honoured."""
    try:
        payload = signing.loads(token, salt=FEED_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("d") != department_id or not isinstance(payload.get("u"), int):
        return None
    user = User.objects.filter(pk=payload["u"], is_active=True).first()
    if user is None or not constant_time_compare(str(payload.get("k", "")), _password_key(user)):
        return None
    return user if feed_department_for(user=user, department_id=department_id) else None


def feed_department_for(*, user: User, department_id: int) -> Department | None:
    return on_call_departments_for(user=user).filter(pk=department_id).first()


def feed_calendar(*, department: Department, shifts: list[ShiftRow], now: datetime) -> bytes:
    """One event per shift, in UTC, named after the person on call; a gap with nobody is left out."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Crisis Desk//On call//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("On call: %(department)s") % {"department": department.name})
    for shift in shifts:
        if shift.user is None:
            continue
        event = icalendar.Event()
        name = user_display_name(shift.user)
        event.add("uid", f"oncall-{department.pk}-{int(shift.starts_at.timestamp())}-{shift.user.pk}@crisisdesk")
        event.add("summary", _("On call for %(department)s: %(name)s") % {"department": department.name, "name": name})
        event.add("dtstart", shift.starts_at.astimezone(UTC))
        event.add("dtend", shift.ends_at.astimezone(UTC))
        event.add("dtstamp", now.astimezone(UTC))
        event.add("categories", [shift.source])
        if shift.user.email:
            event.add("attendee", f"mailto:{shift.user.email}")
        calendar.add_component(event)
    return calendar.to_ical()
