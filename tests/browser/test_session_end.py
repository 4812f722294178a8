"""The console follows its socket's close: a deactivated head lands on the login page by itself, and a
head moved to another department is reconnected at once, without leaving the desk."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.services]


def in_a_thread(change) -> None:
    """Run a change of access in a thread of its own: Playwright's event loop owns this one, and the
    socket close it publishes needs async_to_sync."""

    def run() -> None:
        try:
            change()
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)


def test_a_deactivated_head_is_sent_to_the_login_page(login_as, department_head):
    # Given the head is on the escalation desk, with the live connection open
    head = login_as(department_head)
    head.wait_for_selector("#live-status[data-state=open]", timeout=10_000)

    # When an administrator deactivates them
    department_head.is_active = False
    in_a_thread(department_head.save)

    # Then the desk reloads itself onto the login page
    head.wait_for_url(re.compile(r"/login/"), timeout=5_000)
    assert head.locator("#id_username").count() == 1
    screenshot(head, "session-end-deactivated-head-at-login")


def test_a_head_moved_to_another_department_stays_on_the_desk_and_reconnects(
    login_as, department, other_department, department_head
):
    head = login_as(department_head)
    head.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
    head.evaluate("window.__sameDocument = true")
    head.evaluate(
        "document.addEventListener('console:reconnected', () => document.body.dataset.reconnected = 'yes')"
    )

    def move() -> None:
        department.heads.remove(department_head)
        department.members.remove(department_head)
        other_department.heads.add(department_head)

    in_a_thread(move)

    # A locator, not wait_for_function: the page's CSP refuses the eval that a string predicate needs.
    head.wait_for_selector("body[data-reconnected=yes]", state="attached", timeout=5_000)
    head.wait_for_selector("#live-status[data-state=open]", timeout=5_000)
    assert head.evaluate("window.__sameDocument") is True
    assert "/escalation/" in head.url
