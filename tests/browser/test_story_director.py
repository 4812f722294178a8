"""Elena watches the dashboard while a spike of complaints arrives: the numbers change without a reload."""

from __future__ import annotations

import threading

from django.db import connection
from playwright.sync_api import expect

from inbox.services import mentions_ingest
from tests import factories
from tests.browser.conftest import screenshot
from tests.inbox.builders import normalized


def ingest_in_a_thread(channel, mentions):
    """Playwright owns this thread's event loop and the live push needs async_to_sync: ingest beside it."""
    reports = []

    def ingest() -> None:
        try:
            reports.append(mentions_ingest(channel=channel, mentions=mentions))
        finally:
            connection.close()

    worker = threading.Thread(target=ingest)
    worker.start()
    worker.join(30)
    return reports[0]


def test_the_directors_dashboard_follows_a_spike_live(login_as, director):
    # Given a simulator channel with a calm morning behind it
    channel = factories.ChannelFactory()
    calm = [normalized(f"calm-{index}", "Todo bien") for index in range(3)]
    mentions_ingest(channel=channel, mentions=calm)
    page = login_as(director)
    page.wait_for_selector("[data-testid=dashboard]")
    page.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
    page.evaluate("window.__sameDocument = true")
    assert page.inner_text("[data-testid=volume]") == "3"
    screenshot(page, "story-director-1-calm")

    # When a spike of outage complaints is ingested
    spike = [
        normalized(f"spike-{index}", "Sin servicio, caída total de la fibra", author=f"cliente{index}")
        for index in range(40)
    ]
    report = ingest_in_a_thread(channel, spike)
    assert report.created == 40

    # Then the volume and the unanswered count update on the open page
    # (expect polls without eval, which the page's Content-Security-Policy refuses)
    expect(page.locator("[data-testid=volume]")).to_have_text("43", timeout=15_000)
    assert page.inner_text("[data-testid=unanswered]") == "43"
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "story-director-2-spike")
