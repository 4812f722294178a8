"""In a real browser: a hostile mention arriving LIVE over the websocket shows as text and runs nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from inbox.models import Channel, Mention
from inbox.services import mentions_ingest
from tests.browser.conftest import screenshot
from tests.security.conftest import SCRIPT, hostile_mention

pytestmark = [pytest.mark.services, pytest.mark.slow]


def test_a_hostile_mention_arriving_live_fires_no_dialog_and_shows_literally(login_as, community_manager):
    # Given a community manager on the inbox with the live socket open, listening for any dialog
    page = login_as(community_manager)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto("/inbox/")
    page.wait_for_selector("#live-status[data-state=open]", timeout=15_000)

    # When a stranger's mention with script, onerror and javascript: payloads arrives through the pipeline
    # (in a thread of its own: Playwright's event loop owns this one, and the push needs async_to_sync)
    def ingest() -> None:
        try:
            channel = Channel.objects.create(name="X hostile", kind="x", brand="Telco")
            mentions_ingest(channel=channel, mentions=[hostile_mention("live-xss")])
        finally:
            connection.close()

    worker = threading.Thread(target=ingest)
    worker.start()
    worker.join(30)
    mention = Mention.objects.get(external_id="live-xss")

    # Then the arrivals pill counts it and, clicked, shows its row with the payload as text
    page.click("[data-testid=new-pill]", timeout=15_000)
    row = page.locator(f'[data-mention-id="{mention.pk}"]')
    row.wait_for(timeout=15_000)
    assert SCRIPT in row.inner_text()
    page.wait_for_timeout(1000)
    screenshot(page, "xss-live-row")
    # and nothing ran: no dialog, no injected image or script element
    assert dialogs == []
    assert page.locator("img[src=x]").count() == 0
    assert (
        page.evaluate("Array.from(document.scripts).filter(s => s.textContent.includes('alert(1)')).length")
        == 0
    )

    # And its detail page shows the author and text literally, with no javascript: link
    page.goto(f"/inbox/mentions/{mention.pk}/")
    page.wait_for_load_state("networkidle")
    assert SCRIPT in page.locator("body").inner_text()
    assert page.locator('a[href^="javascript:" i]').count() == 0
    assert dialogs == []
