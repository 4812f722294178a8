"""Ana leads a declared outage from its crisis room: she names the spokesperson and the scribe, gives a step
to Luis with a due time, sees the step that is already late marked, raises the level and sees the level-3
steps appear, on a laptop and on a phone."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from playbooks.models import ChecklistItem, CrisisRole
from tests import factories
from tests.browser.conftest import screenshot
from tests.playbooks.crisis_command import outage_declared, outage_playbooks

VIEWPORTS = {"1440": {"width": 1440, "height": 900}, "390": {"width": 390, "height": 844}}


def declared_in_a_thread(actor):
    """Playwright owns this thread's event loop and the declaration's live push needs async_to_sync."""
    crises = []

    def declare() -> None:
        try:
            outage_playbooks()
            crises.append(outage_declared(actor, now=timezone.now() - timedelta(minutes=5)))
        finally:
            connection.close()

    worker = threading.Thread(target=declare)
    worker.start()
    worker.join(30)
    return crises[0]


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_crisis_lead_names_roles_assigns_a_step_and_raises_the_level(login_as, size):
    # Given an outage Ana declared five minutes ago: its first step (due at once) is late
    ana = factories.UserFactory(role="community_manager", username="ana", first_name="Ana", language="en")
    luis = factories.UserFactory(role="community_manager", username="luis", first_name="Luis")
    elena = factories.UserFactory(role="director", username="elena", first_name="Elena")
    crisis = declared_in_a_thread(ana)
    page = login_as(ana)
    page.set_viewport_size(VIEWPORTS[size])
    page.goto(f"/crises/{crisis.pk}/")
    roles = page.get_by_test_id("roles")
    expect(roles.get_by_test_id("role-lead")).to_contain_text("Ana")

    # Then the late step is marked, the others are not
    steps = page.get_by_test_id("step")
    expect(steps).to_have_count(3)
    expect(steps.nth(0).get_by_test_id("overdue")).to_be_visible()
    expect(steps.nth(1).get_by_test_id("overdue")).to_have_count(0)
    screenshot(page, f"crisis-lead-1-declared-{size}")

    # When she names Luis spokesperson and Elena scribe
    for role, person in (("spokesperson", luis), ("scribe", elena)):
        row = page.locator(f".role-row[data-role={role}]")
        row.locator("select[name=user]").select_option(str(person.pk))
        row.get_by_role("button", name="Appoint", exact=True).click()
        expect(page.get_by_test_id(f"role-{role}")).to_contain_text(person.first_name)

    # Then each takes their role's step
    expect(steps.nth(1).get_by_test_id("step-assignee")).to_have_text("Luis")
    expect(steps.nth(2).get_by_test_id("step-assignee")).to_have_text("Elena")
    assert set(CrisisRole.objects.filter(crisis=crisis).values_list("role", "user__username")) == {
        ("lead", "ana"), ("spokesperson", "luis"), ("scribe", "elena"),
    }

    # When she gives the scribe's step to Luis, due in two hours
    due = timezone.localtime(timezone.now() + timedelta(hours=2)).replace(second=0, microsecond=0)
    scribe_step = steps.nth(2)
    scribe_step.locator("summary").click()
    scribe_step.locator("select[name=assignee]").select_option(str(luis.pk))
    scribe_step.locator("input[name=due_at]").fill(due.strftime("%Y-%m-%dT%H:%M"))
    screenshot(page, f"crisis-lead-2-assigning-{size}")
    scribe_step.get_by_role("button", name="Save", exact=True).click()

    # Then the step shows Luis and the new time, and the timeline records it
    scribe_step = page.get_by_test_id("step").nth(2)
    expect(scribe_step.get_by_test_id("step-assignee")).to_have_text("Luis")
    expect(scribe_step.get_by_test_id("step-due")).to_have_text(due.strftime("%H:%M"))
    expect(page.get_by_test_id("timeline")).to_contain_text("Step assigned to Luis by Ana")
    item = ChecklistItem.objects.get(crisis=crisis, responsible_role="scribe")
    assert (item.assignee, item.due_at, item.assigned_by_hand) == (luis, due, True)
    screenshot(page, f"crisis-lead-3-roles-and-step-{size}")

    # When she raises the crisis to level 3
    page.locator("select[name=level]").select_option("3")
    page.get_by_role("button", name="Change level", exact=True).click()

    # Then the level-3 steps it lacked appear, the press conference for Luis the spokesperson
    expect(page.get_by_test_id("crisis-level")).to_have_text("Severe crisis")
    steps = page.get_by_test_id("step")
    expect(steps).to_have_count(5)
    expect(steps.nth(3)).to_contain_text("Rueda de prensa con el portavoz")
    expect(steps.nth(3).get_by_test_id("step-assignee")).to_have_text("Luis")
    expect(steps.nth(4)).to_contain_text("Informar al consejo de administración")
    expect(page.get_by_test_id("timeline")).to_contain_text("2 steps added for level 3")
    assert _no_horizontal_scroll(page)
    screenshot(page, f"crisis-lead-4-level-3-{size}")
