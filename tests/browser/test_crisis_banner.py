"""A community manager declares a crisis in one browser; the banner appears in the others' without reload."""

from playbooks.models import Crisis, Playbook
from playbooks.services import playbook_version_create
from tests.browser.conftest import screenshot


def test_a_declared_crisis_appears_live_in_other_users_browsers(
    login_as, community_manager, director, department_head
):
    # Given a technical playbook and three people with the console open
    playbook = Playbook.objects.create(crisis_type="technical", level=2, name="Caída de red")
    playbook_version_create(
        playbook_id=playbook.pk,
        content={
            "title": "Caída de red",
            "steps": [
                {"minutes": 0, "role": "community_manager", "text": "Confirmar el alcance con Técnica"}
            ],
            "holding_statement": "Sabemos lo que pasa y estamos trabajando en ello.",
        },
        actor=None,
    )
    director_page = login_as(director)
    head_page = login_as(department_head)
    for page in (director_page, head_page):
        page.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
        assert page.locator("[data-testid=crisis-banner]").count() == 0
    marker = director_page.evaluate("() => (window.__noReload = Math.random())")

    # When Ana declares a crisis from the crisis list
    manager_page = login_as(community_manager)
    manager_page.goto("/crises/")
    manager_page.fill("#id_title", "Caída de la fibra en Madrid")
    manager_page.select_option("#id_crisis_type", "technical")
    manager_page.select_option("#id_level", "2")
    manager_page.click("[data-testid=declare-form] button[type=submit]")
    # She sees what declaring will do before anything happens, and confirms
    manager_page.wait_for_selector("[data-testid=declare-confirm]")
    assert Crisis.objects.count() == 0
    manager_page.click("[data-testid=declare-confirm-form] button[type=submit]")
    manager_page.wait_for_selector("[data-testid=crisis-room]")
    assert manager_page.locator("[data-testid=checklist]").inner_text().count("Confirmar el alcance") == 1

    # Then the director and the department head see the banner appear, without reloading
    for page in (director_page, head_page):
        banner = page.wait_for_selector("[data-testid=crisis-banner]", timeout=10_000)
        assert "Caída de la fibra en Madrid" in banner.inner_text()
    assert director_page.evaluate("() => window.__noReload") == marker
    assert Crisis.objects.get().status == "declared"
    screenshot(director_page, "crisis-banner-director")
    screenshot(manager_page, "crisis-room-community-manager")
