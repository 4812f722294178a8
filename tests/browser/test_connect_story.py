"""An administrator connects an X channel end to end: Crisis Desk → the provider's /authorize → back, tested.

The provider is the fake authorisation server (tests/inbox/fake_oauth.py) on a port chosen when this module
is collected: the console's server process is started later with the environment set here, so its
X_* settings point at the fake (the test process's own settings were read before collection).
"""

from __future__ import annotations

import os
import socket

import pytest
from playwright.sync_api import expect

from inbox.credentials import credentials_decrypt
from inbox.models import Channel
from tests.browser.conftest import screenshot
from tests.inbox.fake_oauth import FakeAuthServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


FAKE_PORT = _free_port()
FAKE_URL = f"http://127.0.0.1:{FAKE_PORT}"
os.environ.update(
    X_AUTHORIZE_URL=f"{FAKE_URL}/authorize",
    X_TOKEN_URL=f"{FAKE_URL}/token",
    X_REVOKE_URL=f"{FAKE_URL}/revoke",
    X_API_URL=FAKE_URL,
    X_CLIENT_ID="test-client",
    X_CLIENT_SECRET="test-secret",
)


@pytest.fixture(scope="module")
def fake_provider():
    server = FakeAuthServer(port=FAKE_PORT).start()
    yield server
    server.stop()


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_administrator_connects_x_and_tests_the_connection(login_as, admin_user, fake_provider):
    # Given an administrator on the channels page
    page = login_as(admin_user)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/inbox/channels/")
    page.get_by_test_id("connect-link").click()
    expect(page.get_by_role("heading", name="Connect a channel")).to_be_visible()
    screenshot(page, "connect-1-form-1440")

    # When they connect X: the browser goes to the provider and is sent back with a code
    page.select_option("#id_network", "x")
    page.fill("#id_name", "Acme on X")
    page.fill("#id_brand", "acme")
    with page.expect_navigation(url="**/inbox/channels/connect/"):
        page.get_by_test_id("connect-form").get_by_role("button", name="Connect", exact=True).click()

    # Then the page says it is connected, and the tokens are stored encrypted
    expect(page.locator(".messages")).to_contain_text("Connected: Acme on X.")
    card = page.locator("[data-testid^=channel-]", has_text="Acme on X")
    expect(card.get_by_test_id("channel-status")).to_have_text("Connected")
    channel = Channel.objects.get(kind="x", name="Acme on X")
    token = credentials_decrypt(channel.credentials_encrypted)["user_access_token"]
    assert token in fake_provider.state.access_tokens and token not in channel.credentials_encrypted
    assert token not in page.content()
    screenshot(page, "connect-2-connected-1440")

    # When they test the connection, it passes against the provider's /2/users/me
    card.get_by_role("button", name="Test connection").click()
    expect(page.locator(".messages")).to_contain_text("Connection test passed for Acme on X (brand_support).")
    expect(card.get_by_test_id("channel-status")).to_have_text("Connected")
    assert _no_horizontal_scroll(page)
    screenshot(page, "connect-3-tested-1440")

    # And on a phone the page fits without scrolling sideways
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload(wait_until="networkidle")
    expect(card.get_by_role("button", name="Test connection")).to_be_visible()
    assert _no_horizontal_scroll(page)
    screenshot(page, "connect-4-390")
    channel.refresh_from_db()
    assert channel.config["user_id"] == "2244994945" and channel.last_error == ""
