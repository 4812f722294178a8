"""The post-crisis report: the page (printable, readable on a phone) and the same report as a PDF.

For the crisis team and the directors (console staff); a department head is refused. Both read one
selector (`playbooks.report.crisis_report`) and render in the requester's language.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crisisdesk.roles import CONSOLE_STAFF, roles_required
from playbooks.report import CrisisReport, crisis_report
from playbooks.report_pdf import report_context, report_pdf
from playbooks.views.common import StaffRequest


def _report_or_404(request: StaffRequest, crisis_id: int) -> CrisisReport:
    report = crisis_report(crisis_id=crisis_id, user=request.user)
    if report is None:
        raise Http404
    return report


@require_GET
@roles_required(*CONSOLE_STAFF)
def crisis_report_page(request: StaffRequest, crisis_id: int) -> HttpResponse:
    report = _report_or_404(request, crisis_id)
    return render(request, "playbooks/report.html", report_context(report))


@require_GET
@roles_required(*CONSOLE_STAFF)
def crisis_report_pdf(request: StaffRequest, crisis_id: int) -> HttpResponse:
    report = _report_or_404(request, crisis_id)
    response = HttpResponse(report_pdf(report, base_url=settings.PUBLIC_BASE_URL), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="crisis-{report.crisis.pk}-report.pdf"'
    return response
