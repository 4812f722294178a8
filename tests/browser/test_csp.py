"""Every page of the console, the admin and the API docs runs under the Content-Security-Policy untouched.

The pages come from the URL resolver (ids of real objects filled in, as the permission matrix does) and
from the admin's registry; each role visits every one that answers it with HTML. The browser reports
every `securitypolicyviolation` event and every console line about the policy; one is a failure.
"""

from __future__ import annotations

import re
import threading

import httpx
import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from playwright.sync_api import expect

from crisisdesk.models import User
from inbox.models import Channel, Mention
from inbox.services import mentions_ingest
from tests.browser.conftest import screenshot
from tests.security.conftest import hostile_mention, world  # noqa: F401  (the fixture)
from tests.security.test_permission_matrix import routes, url_for

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(900)]

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation({
    directive: event.violatedDirective, blocked: event.blockedURI, source: event.sourceFile,
    line: event.lineNumber, sample: event.sample,
  });
});
"""

# Not visited: GET would sign the browser out.
SKIPPED_ROUTES = {"logout"}

# Pages that must be among those checked, whatever else the resolver holds.
REQUIRED_PAGES = {
    "community_manager": ["/inbox/", "/inbox/mentions/{mention}/", "/escalation/", "/crises/",
                          "/crises/{crisis}/", "/settings/tokens/", "/api/docs/"],
    "department_head": ["/escalation/", "/escalation/{request}/", "/settings/tokens/"],
    "director": ["/dashboard/", "/crises/", "/crises/{crisis}/", "/escalation/{request}/"],
    "admin": ["/admin/", "/dashboard/", "/api/docs/"],
}


class PolicyWatch:
    """Collects what the browser says about the policy on every page of one context."""

    def __init__(self, page) -> None:
        self.page = page
        self.violations: list[str] = []
        self.errors: list[str] = []
        context = page.context
        context.expose_binding("__cspViolation", lambda source, report: self.violations.append(
            f"{source['page'].url}: {report['directive']} blocked {report['blocked'] or 'inline'} "
            f"({report['source']}:{report['line']} {report['sample']!r})"
        ))
        context.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.violations.append(f"{self.page.url}: console {message.type}: {message.text}")

    def visit(self, url: str) -> str:
        """Open the page, let its scripts and fetches run; returns the policy it was served with."""
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, (url, response and response.status)
        self.page.wait_for_load_state("networkidle")
        return response.headers.get("content-security-policy", "")


def session_cookie(page) -> str:
    return next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == settings.SESSION_COOKIE_NAME)


def console_candidates(world) -> list[str]:  # noqa: F811
    return [url_for(route, name, world) for route, name, _ in routes() if name not in SKIPPED_ROUTES]


def admin_candidates() -> list[str]:
    """The admin's index, each app's index, and each model's list, add form and first object's pages."""
    request = RequestFactory().get("/admin/")
    request.user = User.objects.filter(is_superuser=True).first()
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        app, name = model._meta.app_label, model._meta.model_name
        urls += [reverse("admin:app_list", args=[app]), reverse(f"admin:{app}_{name}_changelist")]
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"admin:{app}_{name}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls += [reverse(f"admin:{app}_{name}_change", args=[first.pk]),
                     reverse(f"admin:{app}_{name}_history", args=[first.pk])]
            if model_admin.has_delete_permission(request, first):
                urls.append(reverse(f"admin:{app}_{name}_delete", args=[first.pk]))
    return list(dict.fromkeys(urls))


def html_pages(base_url: str, session: str, candidates: list[str]) -> list[str]:
    """The candidates that answer this session with an HTML page (the rest are JSON, POST-only or refused)."""
    pages = []
    with httpx.Client(base_url=base_url, cookies={settings.SESSION_COOKIE_NAME: session}, timeout=20,
                      headers={"Accept": "text/html"}) as http:
        for url in candidates:
            response = http.get(url)
            if response.status_code == 200 and response.headers.get("content-type", "").startswith("text/html"):
                pages.append(url)
    return pages


def assert_strict(policy: str, url: str) -> None:
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (piece.strip() for piece in policy.split(";")) if part
    )
    assert directives.get("default-src") == "'self'", (url, policy)
    assert directives.get("script-src") == "'self'", (url, policy)
    assert directives.get("style-src") == "'self'", (url, policy)
    assert directives.get("object-src") == "'none'" and directives.get("frame-ancestors") == "'none'", (url, policy)
    assert "unsafe" not in policy, (url, policy)


@pytest.fixture
def roles(world, login_as):  # noqa: F811
    return {
        "community_manager": world.community_manager,
        "department_head": world.department_head,
        "director": world.director,
        "admin": world.admin,
    }


def test_the_policy_watch_sees_an_inline_script_being_refused(login_as, world):  # noqa: F811
    # Given a community manager's inbox under the policy, watched
    page = login_as(world.community_manager)
    watch = PolicyWatch(page)
    watch.visit("/inbox/")
    assert watch.violations == []

    # When a script injects an inline <script> and an inline style attribute, as an XSS would
    page.evaluate(
        "() => { const script = document.createElement('script'); script.textContent = 'window.__ran = 1';"
        " document.head.append(script);"
        " document.body.insertAdjacentHTML('beforeend', '<span style=\"color: red\">x</span>'); }"
    )
    page.wait_for_timeout(300)

    # Then neither ran, and the watch reported both
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in line for line in watch.violations), watch.violations
    assert any("style-src" in line for line in watch.violations), watch.violations


def test_every_page_for_every_role_loads_with_no_policy_violation(login_as, console_server, world, roles):  # noqa: F811
    # Given the console's pages (and the admin's, for the administrator), for each role that may open them
    console = console_candidates(world)
    required_ids = {"mention": world.mention.pk, "crisis": world.crisis.pk, "request": world.escalation_request.pk}
    checked: dict[str, list[str]] = {}
    violations: list[str] = []
    errors: list[str] = []
    for role, user in roles.items():
        page = login_as(user)
        watch = PolicyWatch(page)
        candidates = console + (admin_candidates() if user.is_staff else [])
        pages = html_pages(console_server, session_cookie(page), candidates)
        missing = {url.format(**required_ids) for url in REQUIRED_PAGES[role]} - set(pages)
        assert not missing, f"{role} could not open {sorted(missing)}"

        # When they open every one of them and let its scripts run
        for url in pages:
            assert_strict(watch.visit(url), url)
        checked[role] = pages
        violations += watch.violations
        errors += watch.errors

    # Then no page broke the policy and no script failed
    assert violations == [], "\n".join(violations)
    assert errors == [], "\n".join(errors)
    print("\npages checked under the CSP: " + ", ".join(f"{role} {len(urls)}" for role, urls in checked.items()))


def test_swagger_ui_and_the_charts_work_under_the_policy(login_as, world):  # noqa: F811
    # Given the administrator, watched
    page = login_as(world.admin)
    watch = PolicyWatch(page)

    # When they open the API docs
    watch.visit("/api/docs/")
    # Then Swagger UI renders the schema's operations, from our own static files
    page.wait_for_selector("#swagger-ui .opblock", timeout=20_000)
    assert page.locator("#swagger-ui .opblock").count() > 10
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"csp-api-docs-{width}")

    # And the dashboard's charts are drawn
    watch.visit("/dashboard/")
    expect(page.locator("#chart-volume")).to_have_attribute("width", re.compile(r"^[1-9]"), timeout=10_000)
    assert page.evaluate("() => Object.keys(Chart.instances).length") == 2
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.reload(wait_until="networkidle")  # as a phone would load it, not a desktop window shrunk
        screenshot(page, f"csp-dashboard-{width}")

    # And the crisis room's checklist progress and live part render without inline styles
    page.set_viewport_size({"width": 1440, "height": 900})
    watch.visit(f"/crises/{world.crisis.pk}/")
    with page.expect_navigation():
        page.locator("[data-testid=checklist] button.tick").first.click()
    page.wait_for_load_state("networkidle")
    bar = page.locator("[data-testid=checklist] progress.progress")
    assert bar.get_attribute("value") == "33"
    # (styled by crisis.css, not by an inline style: a bar of 8 px across the panel)
    assert page.evaluate("getComputedStyle(document.querySelector('progress.progress')).height") == "8px"
    assert bar.bounding_box()["width"] > 300
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"csp-crisis-room-{width}")
    assert watch.violations == [] and watch.errors == [], watch.violations + watch.errors


def test_the_live_socket_connects_and_delivers_under_the_policy(login_as, world):  # noqa: F811
    # Given a community manager on the inbox, watched, with the live socket open
    page = login_as(world.community_manager)
    watch = PolicyWatch(page)
    policy = watch.visit("/inbox/")
    assert "ws://127.0.0.1:" in policy
    page.wait_for_selector("#live-status[data-state=open]", timeout=15_000)

    # When a mention arrives through the pipeline (in a thread: Playwright's loop owns this one)
    def ingest() -> None:
        try:
            channel = Channel.objects.create(name="X live CSP", kind="x", brand="Telco")
            mentions_ingest(channel=channel, mentions=[hostile_mention("csp-live")])
        finally:
            connection.close()

    worker = threading.Thread(target=ingest)
    worker.start()
    worker.join(30)
    mention = Mention.objects.get(external_id="csp-live")

    # Then the event arrives over the socket, the arrivals pill counts it and shows its row, with nothing
    # refused on the way
    page.click("[data-testid=new-pill]", timeout=15_000)
    page.locator(f'[data-mention-id="{mention.pk}"]').wait_for(timeout=15_000)
    page.wait_for_timeout(500)
    screenshot(page, "csp-inbox-live-1440")
    assert watch.violations == [] and watch.errors == [], watch.violations + watch.errors

    # And the language switch (formerly an inline onchange handler) still submits
    other = "en" if page.locator("html").get_attribute("lang") == "es" else "es"
    with page.expect_navigation():
        page.select_option("#language-select", other)
    assert page.locator("html").get_attribute("lang") == other
    assert watch.violations == [], watch.violations
