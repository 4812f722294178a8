"""The report as a PDF, rendered offline: it opens, page 1 is not blank, and the charts are drawn in colour."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from inbox.models import MentionMinuteStat
from playbooks import services
from playbooks.models import Crisis
from playbooks.report import crisis_report
from playbooks.report_pdf import report_pdf, report_pdf_html
from tests.factories import ChannelFactory, MentionFactory

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "report"
NEGATIVE_RED = (0xC6, 0x28, 0x28)


def _crisis_with_a_spike(actor):
    started = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=3)
    with translation.override("en"):
        crisis = services.crisis_declare(actor=actor, crisis_type="technical", level=2, title="Caída de fibra")
    Crisis.objects.filter(pk=crisis.pk).update(
        detected_at=started, declared_at=started, resolved_at=started + timedelta(hours=2), status="resolved"
    )
    channel = ChannelFactory(brand=crisis.brand)
    for minute in range(0, 120, 3):
        volume = 5 + (40 if 20 <= minute <= 60 else 0)
        MentionMinuteStat.objects.create(
            minute=started + timedelta(minutes=minute), brand=crisis.brand, channel=channel,
            volume=volume, negative=volume * 2 // 3, positive=1,
        )
    crisis.mentions.add(*[MentionFactory(channel=channel, received_at=started) for _ in range(3)])
    return crisis


def _page_one_png(pdf: bytes, name: str) -> Path:
    """Page 1 at 60 dpi through poppler's pdftoppm (skipped without it, failed under REQUIRE_SERVICES)."""
    if shutil.which("pdftoppm") is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("pdftoppm (poppler-utils) is missing: apt-get install poppler-utils")
        pytest.skip("pdftoppm (poppler-utils) is not installed: the PDF cannot be turned into an image here")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(ARTIFACTS / f"{name}.pdf"),
         str(ARTIFACTS / name)],
        check=True, timeout=60,
    )
    return ARTIFACTS / f"{name}.png"


def _close_to(pixel, colour, tolerance=40) -> bool:
    return all(abs(channel - target) <= tolerance for channel, target in zip(pixel[:3], colour, strict=True))


def test_the_pdf_renders_page_one_with_text_and_the_charts_in_colour(director, community_manager, technical_playbook):
    image_module = pytest.importorskip("PIL.Image", reason="Pillow (a WeasyPrint dependency) reads the PNG")
    crisis = _crisis_with_a_spike(community_manager)
    with translation.override("en"):
        report = crisis_report(crisis_id=crisis.pk, user=director)
        pdf = report_pdf(report, base_url="https://desk.example")
    assert pdf.startswith(b"%PDF")

    png = _page_one_png(pdf, "report-page-1")
    with image_module.open(png) as image:
        pixels = list(image.convert("RGB").getdata())
    non_white = sum(1 for pixel in pixels if sum(pixel) < 3 * 240)
    red = sum(1 for pixel in pixels if _close_to(pixel, NEGATIVE_RED))
    # Not blank: text and tables cover a good part of the page; and the volume chart's negative bars are red
    assert non_white > len(pixels) * 0.03
    assert red > 100


def test_the_pdf_speaks_the_requesters_language(client, director, community_manager, technical_playbook):
    crisis = _crisis_with_a_spike(community_manager)
    report = crisis_report(crisis_id=crisis.pk, user=director)
    with translation.override("es"):
        spanish = report_pdf_html(report, base_url="https://desk.example")
    with translation.override("en"):
        english = report_pdf_html(report, base_url="https://desk.example")
    # (texts already in the catalogue; the report's new ones follow once the catalogue is compiled)
    assert ">Response times</h2>" in english and ">Timeline</h2>" in english
    assert ">Tiempos de respuesta</h2>" in spanish and ">Cronología</h2>" in spanish
    assert ">Response times</h2>" not in spanish
    assert '<html lang="es">' in spanish


def test_the_pdf_view_answers_a_pdf_attachment(client, director, community_manager, technical_playbook):
    crisis = _crisis_with_a_spike(community_manager)
    client.force_login(director)
    response = client.get(reverse("playbooks:crisis_report_pdf", args=[crisis.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="crisis-{crisis.pk}-report.pdf"'
    assert response.content.startswith(b"%PDF")


def test_nothing_is_fetched_while_rendering(monkeypatch, director, community_manager, technical_playbook):
    # A document naming a remote image renders without it: the fetcher allows data: URLs only
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the PDF renderer opened a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    crisis = _crisis_with_a_spike(community_manager)
    report = crisis_report(crisis_id=crisis.pk, user=director)
    html = report_pdf_html(report, base_url="https://desk.example").replace(
        "</body>", '<img src="https://cdn.example/logo.png"></body>'
    )
    monkeypatch.setattr("playbooks.report_pdf.report_pdf_html", lambda *args, **kwargs: html)
    assert report_pdf(report, base_url="https://desk.example").startswith(b"%PDF")
