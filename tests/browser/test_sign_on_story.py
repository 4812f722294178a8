"""Marta, head of Técnica, signs in on her phone with the company's single sign-on: no Crisis Desk password."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from escalation import services
from tests.browser.conftest import screenshot, serving
from tests.console.fake_oidc import FakeOIDCProvider

QUESTION = "¿Hay una avería de fibra en Madrid?"


@pytest.fixture(scope="module")
def provider():
    server = FakeOIDCProvider().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sign_on_console(provider, django_db_setup, django_db_blocker):
    """The console of a company whose departments sign in through `provider`."""
    with serving(provider.settings_environment(OIDC_DEPARTMENT_GROUPS="crisis-desk-tecnica=tecnica")) as base_url:
        yield base_url


def test_marta_signs_in_with_single_sign_on_on_her_phone_and_lands_on_her_desk(
    chromium, sign_on_console, provider, transactional_db, community_manager, department_head
):
    # Given a question for Técnica, and Marta's company account in the Técnica group
    request = services.escalation_request_create(
        raised_by=community_manager, department=department_head.departments.get(), question=QUESTION
    )
    provider.signs_in(email=department_head.email, groups=["crisis-desk-tecnica"], given_name="Marta")
    phone = chromium.new_context(base_url=sign_on_console, viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = phone.new_page()
        # When she opens the login page and chooses the company's sign-in
        page.goto("/login/")
        expect(page.get_by_test_id("sign-on")).to_be_visible()
        screenshot(page, "sign-on-login-phone")
        page.get_by_test_id("sign-on").click()
        # Then the provider sends her back signed in, to her desk with Técnica's question
        expect(page.get_by_test_id("escalation-desk")).to_be_visible()
        assert page.url == f"{sign_on_console}/escalation/"
        expect(page.locator(f"#escalation-{request.pk}")).to_contain_text(QUESTION)
        expect(page.locator("#live-status[data-state=open]")).to_have_count(1, timeout=10_000)
        screenshot(page, "sign-on-desk-phone")
    finally:
        phone.close()
