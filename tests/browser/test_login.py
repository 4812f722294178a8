"""A person opens the console: the community manager sees the inbox, the department head the desk."""

from tests.browser.conftest import screenshot


def test_community_manager_logs_in_and_sees_the_inbox(login_as, community_manager):
    page = login_as(community_manager)
    assert page.url.endswith("/inbox/")
    assert page.locator("h1").first.inner_text() in ("Bandeja de entrada", "Inbox")
    assert page.locator("[data-testid=role]").inner_text() in ("Community manager",)
    page.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
    screenshot(page, "inbox-community-manager")


def test_department_head_logs_in_and_sees_the_escalation_desk(login_as, department_head):
    page = login_as(department_head)
    assert page.url.endswith("/escalation/")
    assert page.locator("[data-testid=escalation-desk]").count() == 1
    page.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
    screenshot(page, "escalation-desk-department-head")
