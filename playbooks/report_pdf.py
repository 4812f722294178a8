"""The post-crisis report as a PDF, rendered here with WeasyPrint: nothing is fetched while rendering.

The HTML is the page's own report body (`templates/playbooks/_report_body.html`) with the style sheet
read from the static files and embedded; the charts are the same inline SVG. The fetcher allows data:
URLs only, so no font, image or style sheet comes from the network; fonts are the system's (fontconfig).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.translation import get_language

from playbooks.report import CrisisReport
from playbooks.report_charts import sentiment_chart, volume_chart

PRINT_STYLESHEET = "css/report.css"
# The document embeds its style sheet and its charts: a data: URL is the most it may name.
OFFLINE_PROTOCOLS = ("data",)


def report_context(report: CrisisReport) -> dict[str, Any]:
    """What the page and the PDF templates both read: the report and its two charts."""
    return {
        "report": report,
        "crisis": report.crisis,
        "volume_chart": volume_chart(report.points, bucket_minutes=report.bucket_minutes, markers=report.markers),
        "sentiment_chart": sentiment_chart(report.points, bucket_minutes=report.bucket_minutes),
    }


def report_pdf_html(report: CrisisReport, *, base_url: str) -> str:
    """The PDF's HTML in the active language (the requester's)."""
    stylesheet = finders.find(PRINT_STYLESHEET)
    css = Path(str(stylesheet)).read_text(encoding="utf-8") if stylesheet else ""
    context = report_context(report) | {"css": css, "base_url": base_url, "language": get_language()}
    return render_to_string("playbooks/report_pdf.html", context)


def report_pdf(report: CrisisReport, *, base_url: str) -> bytes:
    """The report as PDF bytes; links in it point at `base_url` (the console's public address)."""
    # why: WeasyPrint loads Pango through cffi; only PDF requests and the weekly digest pay for it
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher  # why: the same heavy library, its offline fetcher

    offline = URLFetcher(allowed_protocols=OFFLINE_PROTOCOLS, allow_redirects=False)
    document = HTML(string=report_pdf_html(report, base_url=base_url), url_fetcher=offline)
    return bytes(document.write_pdf())
