"""On-call pages: who is on call per department and the coming shifts, the calendar feed, and the
departments' responsiveness as CSV.

Everyone signed in may open the page; what it shows is scoped by `on_call_departments_for`
(a department head sees only their departments). The feed is deliberately `@public`: calendar
apps send no session, so it authenticates with the signed token described in
`escalation.oncall_feed` (or the session of a signed-in browser).
"""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import cast

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from crisisdesk.models import User
from crisisdesk.roles import EVERYONE, public, roles_required
from escalation import responsiveness, selectors_oncall
from escalation.oncall_feed import feed_calendar, feed_department_for, feed_token_make, feed_token_user

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PAGE_SHIFTS_AHEAD_DAYS = 14


def _signed_in(request: HttpRequest) -> User:
    """The user of a page behind `roles_required`, which has sent anonymous visitors to log in."""
    return cast(User, request.user)


def csv_cell(value: object) -> object:
    """A cell a spreadsheet shows as text, never runs: a leading = + - @ gets a quote in front."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def feed_url(request: HttpRequest, *, user: User, department_id: int) -> str:
    department = selectors_oncall.on_call_departments_for(user=user).get(pk=department_id)
    path = reverse("escalation:on_call_feed", args=[department_id])
    return request.build_absolute_uri(f"{path}?token={feed_token_make(user=user, department=department)}")


@require_GET
@roles_required(*EVERYONE)
def on_call(request: HttpRequest) -> HttpResponse:
    """Who is on call now in each visible department, the next two weeks, and each one's feed URL."""
    user, now = _signed_in(request), timezone.now()
    until = now + timedelta(days=PAGE_SHIFTS_AHEAD_DAYS)
    days = responsiveness.window_days(request.GET.get("days"))
    departments = [
        {
            "now": current,
            "shifts": selectors_oncall.department_shifts(department=current.department, since=now, until=until),
            "feed_url": feed_url(request, user=user, department_id=current.department.pk),
        }
        for current in selectors_oncall.on_call_now(user=user, now=now)
    ]
    return render(
        request,
        "escalation/on_call.html",
        {
            "departments": departments,
            "responsiveness": responsiveness.department_responsiveness(user=user, days=days, now=now),
            "responsiveness_days": days,
            "responsiveness_windows": responsiveness.WINDOWS_DAYS,
        },
    )


@require_GET
@public
def on_call_feed(request: HttpRequest, department_id: int) -> HttpResponse:
    """The department's on-call shifts, a week back and eight weeks ahead, as text/calendar."""
    token = request.GET.get("token", "")
    user: User | None = None
    if token:
        user = feed_token_user(token=token, department_id=department_id)
    elif request.user.is_authenticated:
        user = request.user
    department = feed_department_for(user=user, department_id=department_id) if user else None
    if department is None:
        if user is None and not token:
            return HttpResponse(status=401, headers={"WWW-Authenticate": 'Bearer realm="calendar"'})
        raise Http404
    now = timezone.now()
    shifts = selectors_oncall.department_shifts(
        department=department,
        since=now - selectors_oncall.SHIFTS_BEHIND,
        until=now + selectors_oncall.SHIFTS_AHEAD,
    )
    response = HttpResponse(
        feed_calendar(department=department, shifts=shifts, now=now), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="oncall-{department.slug}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_GET
@roles_required(*EVERYONE)
def responsiveness_export(request: HttpRequest) -> HttpResponse:
    """The responsiveness table as CSV (`?days=7|30|90`, `?crisis=<id>` for one crisis's requests)."""
    days = responsiveness.window_days(request.GET.get("days"))
    crisis = request.GET.get("crisis", "")
    crisis_id = int(crisis) if crisis.isdigit() else None
    rows = responsiveness.department_responsiveness(
        user=_signed_in(request), days=None if crisis_id else days, crisis_id=crisis_id
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    suffix = f"crisis-{crisis_id}" if crisis_id else f"{days}d"
    response["Content-Disposition"] = f'attachment; filename="crisisdesk-responsiveness-{suffix}.csv"'
    writer = csv.writer(response)
    for row in responsiveness.responsiveness_csv_rows(rows, days=None if crisis_id else days):
        writer.writerow([csv_cell(value) for value in row])
    return response
