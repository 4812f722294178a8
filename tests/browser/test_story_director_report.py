"""Elena, a director, reads the report of a crisis that is over, on her desk and on her phone, and keeps the PDF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from escalation.models import EscalationRequest, RequestStatus
from inbox.models import MentionMinuteStat, MentionStatus
from playbooks import services
from playbooks.models import Crisis, Playbook
from tests.browser.conftest import screenshot
from tests.factories import ChannelFactory, MentionFactory
from tests.playbooks.conftest import technical_content


def _resolved_crisis(actor, department):
    playbook = Playbook.objects.create(crisis_type="technical", level=2, name="Caída de red")
    services.playbook_version_create(playbook_id=playbook.pk, content=technical_content(), actor=None, note="v1")
    started = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=4)
    with translation.override("en"):
        crisis = services.crisis_declare(
            actor=actor, crisis_type="technical", level=2, title="Caída de fibra en Madrid"
        )
    Crisis.objects.filter(pk=crisis.pk).update(
        detected_at=started, declared_at=started, contained_at=started + timedelta(hours=1),
        resolved_at=started + timedelta(hours=2), status="resolved",
    )
    channel = ChannelFactory(brand=crisis.brand)
    for minute in range(0, 150, 5):
        volume = 4 + (60 if 10 <= minute <= 70 else 0)
        MentionMinuteStat.objects.create(minute=started + timedelta(minutes=minute), brand=crisis.brand,
                                         channel=channel, volume=volume, negative=volume * 3 // 4, positive=1)
    answered = [
        MentionFactory(channel=channel, received_at=started, first_response_at=started + timedelta(minutes=minutes),
                       status=MentionStatus.REPLIED)
        for minutes in (5, 15)
    ]
    crisis.mentions.add(*answered, *[MentionFactory(channel=channel, received_at=started) for _ in range(8)])
    EscalationRequest.objects.create(
        department=department, question="¿Alcance de la avería?", crisis=crisis, created_at=started,
        due_at=started + timedelta(minutes=20), acknowledged_at=started + timedelta(minutes=10),
        answered_at=started + timedelta(minutes=30), status=RequestStatus.ANSWERED,
    )
    return crisis


@pytest.mark.parametrize("viewport", [{"width": 1440, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_the_director_reads_the_report_of_a_resolved_crisis_and_downloads_its_pdf(
    login_as, director, community_manager, department, viewport
):
    # Given a crisis resolved two hours ago: ten linked mentions, two answered, one escalation to Técnica
    crisis = _resolved_crisis(community_manager, department)
    director.language = "en"
    director.save(update_fields=["language"])
    page = login_as(director)
    page.set_viewport_size(viewport)
    name = f"story-director-report-{viewport['width']}"

    # When Elena opens the crisis and follows its report
    page.goto(f"/crises/{crisis.pk}/")
    page.get_by_test_id("report-link").click()
    page.wait_for_load_state("networkidle")

    # Then she sees both charts drawn, the honest response times and the department's row
    expect(page.get_by_test_id("report-title")).to_contain_text("Caída de fibra en Madrid")
    for chart in ("chart-volume", "chart-sentiment"):
        expect(page.get_by_test_id(chart)).to_be_visible()
        assert page.get_by_test_id(chart).bounding_box()["width"] > viewport["width"] * 0.6
    assert page.locator("[data-testid=chart-volume] rect[fill='#c62828']").count() > 5
    expect(page.get_by_test_id("first-unanswered")).to_contain_text("8")
    expect(page.get_by_test_id("first-all-p50")).to_have_text("not reached")
    expect(page.get_by_test_id("first-done-p50")).to_contain_text("10 min")
    departments = page.get_by_test_id("report-departments")
    expect(departments.get_by_role("cell", name=department.name, exact=True)).to_be_visible()
    expect(departments).to_contain_text("10 min / 10 min")
    # And nothing is wider than her screen
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    screenshot(page, name)
    page.get_by_test_id("report-charts").screenshot(path=str(screenshot(page, name).with_name(f"{name}-charts.png")))

    # When she downloads the PDF
    with page.expect_download() as download_info:
        page.get_by_test_id("report-pdf").click()
    download = download_info.value
    assert download.suggested_filename == f"crisis-{crisis.pk}-report.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    response = page.request.get(f"/crises/{crisis.pk}/report.pdf")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
