"""Elena runs a drill of last week's outage: the replayed mentions arrive marked DRILL, a department answers
its drill request, she ends the drill and reads the scores."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from escalation import services as escalation_services
from playbooks import services
from playbooks.models import Drill
from tests import factories
from tests.browser.conftest import screenshot

VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


def beside_playwright(work):
    """Playwright owns this thread's event loop and the live push needs async_to_sync: run the work beside it."""
    results = []

    def run() -> None:
        try:
            results.append(work())
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)
    return results[0]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_drill_replays_marked_and_ends_with_scores(login_as, director, community_manager, viewport):
    # Given last week's outage stored for Telco, and a department whose head answers
    archive = timezone.now().replace(second=0, microsecond=0) - timedelta(days=7)
    channel = factories.ChannelFactory(name="Telco X", kind="x", brand="Telco")
    for index in range(6):
        factories.MentionFactory(
            channel=channel, text=f"Sin fibra en Madrid ({index})", posted_at=archive + timedelta(minutes=20 * index)
        )
    technical = factories.DepartmentFactory(slug="tecnica", name="Técnica")
    head = factories.UserFactory(role="department_head", username="marta-drill")
    technical.heads.add(head)
    page = login_as(director)
    page.set_viewport_size(VIEWPORTS[viewport])

    # When she starts a drill of those two hours, twelve times faster
    page.goto("/drills/")
    form = page.get_by_test_id("drill-start-form")
    form.get_by_label("Brand", exact=True).select_option("Telco")
    local = "%Y-%m-%dT%H:%M"
    form.get_by_label("From", exact=True).fill(timezone.localtime(archive).strftime(local))
    form.get_by_label("To", exact=True).fill(timezone.localtime(archive + timedelta(hours=2)).strftime(local))
    form.get_by_label("Compression (times faster)").fill("12")
    screenshot(page, f"story-drill-1-start-{viewport}")
    form.get_by_role("button", name="Start the drill", exact=True).click()
    expect(page.get_by_test_id("drill-status")).to_have_text("Running")
    drill = Drill.objects.get()

    # Then the replayed mentions arrive in the inbox marked DRILL
    beside_playwright(lambda: services.drill_feed(drill_id=drill.pk, now=drill.ends_at))
    page.goto("/inbox/")
    expect(page.get_by_test_id("drill-tag")).to_have_count(6)
    expect(page.get_by_test_id("drill-tag").first).to_be_visible()
    screenshot(page, f"story-drill-2-inbox-{viewport}")

    # When Técnica answers the drill's request and she ends the drill
    copy = drill.channel.mentions.order_by("posted_at").first()
    beside_playwright(
        lambda: escalation_services.escalation_answer_create(
            request_id=escalation_services.escalation_request_create(
                raised_by=community_manager, department=technical, question="¿Hora de vuelta?", mention_ids=[copy.pk]
            ).pk,
            author=head, text="A las 14:00",
        )
    )
    page.goto(f"/drills/{drill.pk}/")
    page.get_by_role("button", name="End the drill", exact=True).click()

    # Then the scores say who answered, and how fast
    expect(page.get_by_test_id("drill-status")).to_have_text("Ended")
    row = page.get_by_test_id("drill-score")
    expect(row).to_have_count(1)
    expect(row.get_by_role("rowheader")).to_have_text("Técnica")
    screenshot(page, f"story-drill-3-scores-{viewport}")
