"""Elena looks at the last hour of an outage, on her desk and on her phone, and exports a chart."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from inbox.models import MentionMinuteStat
from tests import factories
from tests.browser.conftest import screenshot


def _outage(channel, minutes: int = 40) -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    MentionMinuteStat.objects.bulk_create(
        MentionMinuteStat(
            minute=now - timedelta(minutes=ago), brand=channel.brand, channel=channel, topic="",
            volume=700, negative=620,
        )
        for ago in range(minutes)
    )


def test_the_last_hour_of_an_outage_in_her_zone_with_csv_and_png(login_as, director):
    channel = factories.ChannelFactory(name="X @Telco")
    _outage(channel)
    factories.MentionFactory.create_batch(5, channel=channel, received_at=timezone.now() - timedelta(minutes=12))
    page = login_as(director)
    page.goto("/dashboard/?range=1h")
    expect(page.locator("[data-testid=volume]")).to_have_text("28000")
    expect(page.locator("[data-testid=dashboard-clock]")).to_contain_text("Europe/Madrid")
    expect(page.locator("[data-testid=range-picker] [aria-current=true]")).to_have_text("1 h")
    # The waiting complaints show in the first response and as the oldest waiting (12 min)
    expect(page.locator("[data-testid=oldest-waiting]")).to_have_text("12 min")
    expect(page.locator("[data-testid=dashboard-channels]")).to_contain_text("X @Telco")
    expect(page.locator("[data-testid=open-alerts]")).to_be_visible()
    with page.expect_download() as csv_download:
        page.click("[data-testid=export-volume-csv]")
    assert csv_download.value.suggested_filename == "crisisdesk-volume-1h.csv"
    with page.expect_download() as png_download:
        page.click("button[data-png=chart-volume]")
    png = png_download.value
    assert png.suggested_filename == "crisisdesk-volume.png"
    assert open(png.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    page.set_viewport_size({"width": 1440, "height": 900})
    screenshot(page, "dashboard-1h-outage-1440")
    # On a phone the page does not scroll sideways
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("[data-testid=volume]")).to_have_text("28000")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
        ".slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id)"
    )
    screenshot(page, "dashboard-1h-outage-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    screenshot(page, "dashboard-1h-outage-390")
