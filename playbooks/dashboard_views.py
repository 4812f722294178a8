"""The director dashboard: a page, its figures as JSON for the live refresh, and each chart as CSV."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from crisisdesk.models import Role
from crisisdesk.realtime import group_for_role
from crisisdesk.roles import CONSOLE_STAFF, SignedInRequest, roles_required
from crisisdesk.shared_pages import SharedPage, page_slot, shared_page_keep, shared_page_read, shared_pages_enabled
from escalation import responsiveness
from playbooks.dashboard import (
    CSV_CHARTS,
    RANGES,
    DashboardRange,
    DashboardRangeInvalid,
    cost_of_silence,
    dashboard_csv_rows,
    dashboard_figures,
    dashboard_range_parse,
)

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


DASHBOARD_STREAM = group_for_role(Role.DIRECTOR)


def _range(request: HttpRequest) -> DashboardRange:
    return dashboard_range_parse(
        key=request.GET.get("range"), start=request.GET.get("from", ""), end=request.GET.get("to", "")
    )


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@require_GET
@roles_required(*CONSOLE_STAFF)
def dashboard(request: SignedInRequest) -> HttpResponse:
    """The page for a range; a range that cannot be shown says why above the default 24 hours."""
    status, error = 200, ""
    try:
        window = _range(request)
    except DashboardRangeInvalid as refusal:
        window, status, error = dashboard_range_parse(key=None), 400, str(refusal)
    context = {
        "figures": dashboard_figures(window=window),
        "ranges": list(RANGES),
        "range_error": error,
        "time_zone": timezone.get_current_timezone_name(),
        "query": request.GET.urlencode() if not error else "",
        "cost_of_silence": cost_of_silence(),
        **_responsiveness(request),
    }
    return render(request, "playbooks/dashboard.html", context, status=status)


def _responsiveness(request: SignedInRequest) -> dict[str, object]:
    """The departments' responsiveness card: its own window (`?responsiveness=7|30|90`), not the range's."""
    days = responsiveness.window_days(request.GET.get("responsiveness"))
    return {
        "responsiveness": responsiveness.department_responsiveness(user=request.user, days=days),
        "responsiveness_days": days,
        "responsiveness_windows": responsiveness.WINDOWS_DAYS,
    }


@require_GET
@roles_required(*CONSOLE_STAFF)
def dashboard_data(request: HttpRequest) -> HttpResponse:
    """The figures of one range, computed once for every director who asks within the shared page's life
    (`crisisdesk.shared_pages`): five directors whose dashboards refresh on every new-mention event made the
    response-time percentiles PostgreSQL's largest cost in a crisis. The page is stamped with the directors'
    stream, so a crisis, alert or escalation announced to them is never hidden; volume lags at most
    `SHARED_PAGE_SECONDS`."""
    try:
        window = _range(request)
    except DashboardRangeInvalid as error:
        return JsonResponse({"detail": str(error)}, status=400)
    if not shared_pages_enabled():
        return JsonResponse(dashboard_figures(window=window).as_dict())
    slot = page_slot(request, stream_group=DASHBOARD_STREAM, scope="dashboard")
    kept, slot = shared_page_read(slot, stream_group=DASHBOARD_STREAM)
    if kept is not None:
        return HttpResponse(kept.body, content_type="application/json")
    response = JsonResponse(dashboard_figures(window=window).as_dict())
    shared_page_keep(slot, SharedPage(body=bytes(response.content), etag_parts=()))
    return response


@require_GET
@roles_required(*CONSOLE_STAFF)
def dashboard_export(request: HttpRequest, chart: str) -> HttpResponse:
    """One chart's figures as CSV for the range shown: what directors paste into their reports."""
    if chart not in CSV_CHARTS:
        return JsonResponse({"detail": "unknown chart"}, status=404)
    try:
        window = _range(request)
    except DashboardRangeInvalid as error:
        return JsonResponse({"detail": str(error)}, status=400)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="crisisdesk-{chart}-{window.key}.csv"'
    writer = csv.writer(response)
    for row in dashboard_csv_rows(dashboard_figures(window=window), chart):
        writer.writerow([_cell(value) for value in row])
    return response
