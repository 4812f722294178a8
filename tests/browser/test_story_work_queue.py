"""Ana works the queue through an outage: arrivals wait behind a pill instead of moving the row she is on,
alerts reach her wherever she is, and every page fits a phone."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from playwright.sync_api import expect

from crisisdesk.realtime import event, publish_on_commit, stream_numbers
from inbox import services
from inbox.models import Mention
from inbox.services import mentions_ingest
from playbooks.events import STAFF_GROUPS
from playbooks.models import Crisis
from tests import factories
from tests.inbox.builders import normalized

ARTIFACTS = Path(settings.BASE_DIR) / "tests" / "browser" / "artifacts"
SELECTED = '#mention-rows tr[aria-selected="true"]'


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def selected_index(page) -> int:
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('#mention-rows tr'))"
        ".findIndex((row) => row.getAttribute('aria-selected') === 'true')"
    )


def outage(channel, *, seconds: float, per_second: int, stop: threading.Event) -> threading.Thread:
    """Ingest `per_second` mentions every second beside Playwright's thread (the live push needs its own)."""

    def run() -> None:
        try:
            number = 0
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and not stop.is_set():
                batch = [
                    normalized(f"outage-{number + index}", f"Sin fibra otra vez, van {number + index}",
                               author=f"vecino{(number + index) % 40}")
                    for index in range(per_second)
                ]
                number += per_second
                mentions_ingest(channel=channel, mentions=batch)
                time.sleep(max(0.0, 1.0 - (time.monotonic() % 1.0)))
        finally:
            connection.close()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    return worker


def in_a_thread(work) -> None:
    """Run a service beside Playwright's thread, on its own connection, as a worker would."""

    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(20)


def publish_in_a_thread(payload) -> None:
    in_a_thread(lambda: publish_on_commit(STAFF_GROUPS, payload))


def test_arrivals_wait_behind_the_pill_and_the_selected_row_stays(login_as, community_manager):
    # Given sixty mentions waiting, and Ana on the fourth of them
    channel = factories.ChannelFactory()
    now = timezone.now()
    for index in range(60):
        factories.MentionFactory(channel=channel, priority=30 + index % 50,
                                 received_at=now - timedelta(minutes=index))
    page = login_as(community_manager)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
    expect(page.locator("#mention-rows tr")).to_have_count(50)
    for _ in range(4):
        page.keyboard.press("j")
    expect(page.locator(SELECTED)).to_have_count(1)
    chosen = page.get_attribute(SELECTED, "data-mention-id")
    assert selected_index(page) == 3

    # When an outage pours in 540 mentions a minute for 30 seconds
    stop = threading.Event()
    worker = outage(channel, seconds=30, per_second=9, stop=stop)
    counts = []
    try:
        for _ in range(15):
            page.wait_for_timeout(2_000)
            # Then the row under her cursor does not move and stays the only selected one
            assert selected_index(page) == 3
            expect(page.locator(SELECTED)).to_have_count(1)
            assert page.get_attribute(SELECTED, "data-mention-id") == chosen
            pill = page.locator("[data-testid=new-pill]")
            if pill.is_visible():
                counts.append(int(pill.get_attribute("data-count")))
    finally:
        stop.set()
        worker.join(10)
    # and the pill counts the arrivals as they come
    assert len(counts) >= 5 and counts == sorted(counts) and counts[-1] > counts[0] >= 1
    assert page.locator("#mention-rows tr").count() == 50
    shot(page, "work-queue-pill-1440")

    # When she clicks the pill the first page comes back in the queue's order, her row still selected
    page.click("[data-testid=new-pill]")
    expect(page.locator("[data-testid=new-pill]")).to_be_hidden()
    expect(page.locator(SELECTED)).to_have_count(1)
    assert page.get_attribute(SELECTED, "data-mention-id") == chosen or not page.locator(
        f'#mention-rows tr[data-mention-id="{chosen}"]'
    ).count()
    priorities = [int(text) for text in page.locator("#mention-rows .priority-badge").all_inner_texts()]
    assert priorities == sorted(priorities, reverse=True)

    # and "Load more" reaches past the first fifty
    page.click("[data-testid=load-more]")
    expect(page.locator("#mention-rows tr")).to_have_count(100, timeout=10_000)


def test_alert_toasts_and_the_bell_on_the_inbox_and_the_dashboard(login_as, community_manager, director):
    inbox = login_as(community_manager)
    dashboard = login_as(director)
    dashboard.goto("/dashboard/")
    for page in (inbox, dashboard):
        page.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
        expect(page.locator("[data-testid=notify-count]")).to_be_hidden()

    # When the detector raises a severe alert
    publish_in_a_thread(
        event("alert.new", id=1, brand="Telco", signal="volume", topic="fibra", severity=8,
              suggested_level=2, suggested_type="technical")
    )

    # Then both see a toast and the bell's unread count, and the dropdown keeps it
    for page in (inbox, dashboard):
        expect(page.locator('#toasts .toast[data-kind="alert"]')).to_have_count(1, timeout=10_000)
        expect(page.locator("[data-testid=notify-count]")).to_have_text("1")
        page.click("[data-testid=notify-bell]")
        expect(page.locator("[data-testid=notify-list] li")).to_have_count(1)
        assert "8" in page.locator("[data-testid=notify-list] li").inner_text()
    shot(inbox, "notifications-inbox-1366")
    shot(dashboard, "notifications-dashboard-1366")
    # and the count survives a reload until marked as read
    inbox.reload()
    expect(inbox.locator("[data-testid=notify-count]")).to_have_text("1")
    inbox.click("[data-testid=notify-bell]")
    inbox.click("#notify-read")
    expect(inbox.locator("[data-testid=notify-count]")).to_be_hidden()


def test_every_page_fits_a_phone_and_a_desktop(chromium, console_server, login_as, community_manager):
    mention = factories.MentionFactory(text="Sin fibra en Chamberí desde las ocho, ¿qué pasa? " * 3)
    crisis = Crisis.objects.create(title="Caída de la fibra en Madrid", brand="Telco", crisis_type="technical",
                                   level=2, status="declared", declared_at=timezone.now())
    pages = {
        "inbox": "/inbox/",
        "mention": f"/inbox/mentions/{mention.pk}/",
        "crises": "/crises/",
        "crisis-room": f"/crises/{crisis.pk}/",
        "dashboard": "/dashboard/",
        "escalations": "/escalation/",
    }
    page = login_as(community_manager)
    missing: list[str] = []
    page.on("response", lambda response: response.status == 404 and missing.append(response.url))
    wide = {}
    for viewport, label in (({"width": 390, "height": 844}, "390"), ({"width": 1440, "height": 900}, "1440")):
        page.set_viewport_size(viewport)
        for name, url in pages.items():
            page.goto(url)
            page.wait_for_load_state("networkidle")
            wide[f"{name}@{label}"] = page.evaluate("() => document.documentElement.scrollWidth")
            shot(page, f"{name}-{label}")
        if label == "390":
            # The top bar stays short and the navigation is behind the menu button, not cut off
            bar = page.locator(".topbar").bounding_box()
            assert bar and bar["height"] < 844 / 4
            expect(page.locator(".topbar nav")).to_be_hidden()
            page.click("[data-testid=menu-button]")
            expect(page.locator(".topbar nav a").first).to_be_visible()
            shot(page, "menu-open-390")
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    # The nav highlights the page one is on
    page.goto("/dashboard/")
    current = page.locator('.topbar nav a[aria-current="page"]')
    expect(current).to_have_count(1)
    assert current.get_attribute("href") == "/dashboard/"

    anonymous = chromium.new_context(base_url=console_server, viewport={"width": 390, "height": 844})
    login = anonymous.new_page()
    login.goto("/login/")
    icon = login.request.get(login.get_attribute("link[rel=icon]", "href"))
    wide["login@390"] = login.evaluate("() => document.documentElement.scrollWidth")
    shot(login, "login-390")
    anonymous.close()
    assert icon.ok
    narrow = {name: width for name, width in wide.items() if name.endswith("@390") and width > 390}
    assert narrow == {}
    assert missing == []


def test_a_console_that_missed_an_event_offers_to_reload(login_as, community_manager):
    # Given Ana on the inbox, her console live
    factories.MentionFactory(channel=factories.ChannelFactory(), priority=40)
    page = login_as(community_manager)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
    page.evaluate(
        "window.resyncs = []; document.addEventListener('console:resync', (e) => window.resyncs.push(e.detail))"
    )
    changed = event("mention.changed", id=987654321, change="status")
    publish_in_a_thread(changed)
    page.wait_for_timeout(500)
    assert page.evaluate("window.resyncs") == []
    expect(page.locator("[data-testid=new-pill]")).to_be_hidden()

    # When the server drops the next event on the way (numbered, never delivered) and sends the one after
    stream_numbers(list(STAFF_GROUPS))
    publish_in_a_thread(changed)

    # Then her console knows it missed one and the inbox offers the updates instead of showing stale rows
    page.wait_for_function("window.resyncs.length > 0", timeout=5_000)
    assert page.evaluate("window.resyncs[0]") == {"reason": "missed", "missed": 1}
    pill = page.locator("[data-testid=new-pill]")
    expect(pill).to_be_visible()
    expect(pill).to_have_text("Updates — show")
    shot(page, "work-queue-missed-event-390")


def test_rows_follow_the_auto_assigner_and_the_model_tier_live(login_as, community_manager):
    # Given two mentions in the queue and Ana's inbox open on her phone, her console live
    channel = factories.ChannelFactory()
    first = factories.MentionFactory(channel=channel, priority=35, text="¿Cuándo vuelve la fibra a Vigo?")
    second = factories.MentionFactory(channel=channel, priority=30, text="Sigo sin línea en Lugo")
    page = login_as(community_manager)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
    rows = {
        mention.pk: page.locator(f'#mention-rows tr[data-mention-id="{mention.pk}"]') for mention in (first, second)
    }
    expect(rows[first.pk].locator(".assignee")).to_have_count(0)

    # When the auto-assigner hands both out in one run (one mentions.changed event)
    in_a_thread(lambda: services.mentions_auto_assign(limit=2))

    # Then both rows show her as the assignee without a reload
    for row in rows.values():
        expect(row.locator(".assignee")).to_have_text("Ana", timeout=10_000)

    # And when the model tier raises the first one's priority, its row follows
    def model_relabels() -> None:
        with transaction.atomic():
            Mention.objects.filter(pk=first.pk).update(priority=82, triage_tier="model")
            publish_on_commit(["inbox"], event("mention.triaged", mentions=[{"id": first.pk, "priority": 82}]))

    in_a_thread(model_relabels)
    expect(rows[first.pk].locator(".priority-badge")).to_have_text("82", timeout=10_000)
    expect(rows[first.pk]).to_have_class(re.compile(r"priority-high"))
    shot(page, "work-queue-live-rows-390")
