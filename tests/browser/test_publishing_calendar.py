"""A crisis lead suspends all scheduled publishing with a reason, sees every held post, and releases one;
on a phone the calendar fits without scrolling sideways."""

from __future__ import annotations

from playwright.sync_api import expect

from inbox.models import ScheduledPost, ScheduledPostStatus
from playbooks.models import PublishingSuspension
from tests.browser.conftest import screenshot
from tests.factories import ChannelFactory
from tests.playbooks.conftest import post_approved

CHEERFUL = "¡Feliz Nochebuena! 🎄 Celebra con nuestra fibra #FelizNoche"


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_crisis_lead_suspends_publishing_and_releases_one_held_post(login_as, director, community_manager):
    # Given three posts Ana wrote and Elena approved, the first a cheerful one
    channel = ChannelFactory(name="Simulador Telco")
    posts = [
        post_approved(channel=channel, author=community_manager, approver=director, body=body, hours=hours)
        for hours, body in ((2, CHEERFUL), (4, "Nueva tarifa de fibra desde el lunes"), (6, "Mantenimiento el martes"))
    ]
    page = login_as(director)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/publishing/")
    expect(page.get_by_test_id("calendar-week")).to_be_visible()

    # When she suspends all scheduled publishing, saying why
    page.fill("#id_reason", "Accidente en Santiago: duelo")
    page.get_by_test_id("suspend-publishing").click()

    # Then the calendar says publishing is suspended, with the reason, and lists every held post
    banner = page.get_by_test_id("suspension-banner")
    expect(banner).to_contain_text("Accidente en Santiago: duelo")
    held = page.get_by_test_id("held-post")
    expect(held).to_have_count(3)
    expect(held.first).to_contain_text("Feliz Nochebuena")
    assert PublishingSuspension.objects.get().reason == "Accidente en Santiago: duelo"
    screenshot(page, "publishing-1-suspended-1440")

    # When she releases the maintenance notice only
    page.locator(f"[data-testid=held-post][data-post-id='{posts[2].pk}']").get_by_test_id("release-post").click()

    # Then it is scheduled again and the other two stay held
    expect(page.locator(".messages")).to_contain_text("Post released.")
    expect(page.get_by_test_id("held-post")).to_have_count(2)
    statuses = [ScheduledPost.objects.get(pk=post.pk).status for post in posts]
    assert statuses == [ScheduledPostStatus.FROZEN, ScheduledPostStatus.FROZEN, ScheduledPostStatus.SCHEDULED]
    assert _no_horizontal_scroll(page)
    screenshot(page, "publishing-2-one-released-1440")

    # And on a phone the calendar, the banner and the held posts fit without scrolling sideways
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload(wait_until="networkidle")
    expect(page.get_by_test_id("suspension-banner")).to_be_visible()
    assert _no_horizontal_scroll(page)
    screenshot(page, "publishing-3-390")
    page.get_by_test_id("list-view").click()
    expect(page.get_by_test_id("calendar-list")).to_be_visible()
    assert _no_horizontal_scroll(page)
    screenshot(page, "publishing-4-list-390")
