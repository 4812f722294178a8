"""One login policy for the console, /admin/ and the API token login (issue #15, point 1).

The three breaks found from outside, replayed exactly: forwarded addresses that reset the API's
throttle, an admin login with no throttle at all, and a stranger who locked the whole desk out
from behind the office's one address.
"""

from __future__ import annotations

import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from crisisdesk.clientip import client_ip
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"


def api_login(client: APIClient, username: str, password: str, **headers):
    return client.post("/api/auth/token/login/", {"username": username, "password": password}, format="json", **headers)


def console_login(client: Client, username: str, password: str, **headers):
    return client.post("/login/", {"username": username, "password": password}, **headers)


def test_forty_wrong_api_passwords_from_forty_forwarded_addresses_are_held(community_manager):
    # Given an attacker who sends every guess with another X-Forwarded-For
    attacker = APIClient()
    statuses = [
        api_login(attacker, "ana", f"guess-{number}", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}").status_code
        for number in range(40)
    ]

    # Then the account is held from the tenth failure on, whatever the header says
    assert statuses[:9] == [400] * 9
    assert set(statuses[9:]) == {429}

    # And the right password is refused while the cool-down lasts, with the reason and when to retry
    held = api_login(attacker, "ana", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.77")
    assert held.status_code == 429
    assert int(held["Retry-After"]) >= 300
    assert held.json()["detail"].startswith("Too many failed logins.")


def test_fifteen_wrong_admin_passwords_then_the_right_one_is_held():
    factories.UserFactory(username="admin", role="admin", is_staff=True, is_superuser=True)
    browser = Client()
    for number in range(15):
        browser.post("/admin/login/", {"username": "admin", "password": f"guess-{number}", "next": "/admin/"})

    response = browser.post("/admin/login/", {"username": "admin", "password": PASSWORD, "next": "/admin/"})

    assert response.status_code == 429
    assert "Too many failed logins." in response.content.decode()
    assert "_auth_user_id" not in browser.session
    assert browser.get("/admin/").status_code == 302


def test_a_stranger_behind_the_office_address_cannot_lock_out_a_colleague(community_manager, other_community_manager):
    # Given 13 wrong passwords for luis, and then 10 more, all from the office's one address
    stranger = Client()
    for number in range(23):
        console_login(stranger, "luis", f"guess-{number}")

    # When ana, at the next desk, types her right password
    ana = Client()
    response = console_login(ana, "ana", PASSWORD)

    # Then she is in, as before
    assert response.status_code == 302
    assert ana.get(response["Location"]).status_code == 302

    # And luis's account cools down: his own right password gets the form again, with the reason
    held = console_login(Client(), "luis", PASSWORD)
    assert held.status_code == 429
    page = held.content.decode()
    assert 'data-testid="login-held"' in page and "Too many failed logins." in page
    assert 'name="password"' in page
    assert int(held["Retry-After"]) > 300


def test_the_held_message_is_translated(other_community_manager):
    for number in range(10):
        console_login(Client(), "luis", f"guess-{number}")
    held = console_login(Client(), "luis", PASSWORD, HTTP_ACCEPT_LANGUAGE="es")
    assert held.status_code == 429
    assert "Demasiados inicios de sesión fallidos" in held.content.decode()


def test_the_cool_down_grows_with_every_failure_during_it_and_then_ends(community_manager, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 1
    client = APIClient()
    for _ in range(2):
        assert api_login(client, "ana", "wrong").status_code == 400

    # Each attempt while held, the right password's included, doubles the wait
    waits = [int(api_login(client, "ana", password)["Retry-After"]) for password in ("wrong", PASSWORD, PASSWORD)]
    assert waits == [1, 2, 4]

    time.sleep(4.3)
    assert api_login(client, "ana", PASSWORD).status_code == 201


def test_an_office_address_is_slowed_only_after_a_hundred_failures(community_manager):
    office = Client()
    for number in range(99):
        assert console_login(office, f"typo{number}", "wrong").status_code == 200
    assert console_login(Client(), "ana", PASSWORD).status_code == 302
    console_login(office, "typo-last", "wrong")
    assert console_login(Client(), "ana", PASSWORD).status_code == 429


def test_the_forwarded_address_counts_only_from_a_declared_proxy(community_manager, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5
    via_proxy = {"REMOTE_ADDR": "10.0.0.2"}

    # With no proxy declared, every forwarded address is the proxy's own
    client = APIClient(**via_proxy)
    for number in range(5):
        api_login(client, f"nobody{number}", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")
    assert api_login(client, "ana", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.200").status_code == 429

    # With the proxy declared, the address it forwards is the client's
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    for number in range(5):
        api_login(client, f"someone{number}", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert api_login(client, "ana", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    assert api_login(client, "ana", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 201


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.5", "198.51.100.1", [], "203.0.113.5"),
        ("203.0.113.5", "198.51.100.1", ["10.0.0.0/8"], "203.0.113.5"),
        ("10.0.0.2", "198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
        # A client-written first hop is not believed: only what the declared proxies appended
        ("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.0.0.9", ["10.0.0.0/8"], "198.51.100.1"),
        ("10.0.0.2", "not-an-address, 198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
        ("10.0.0.2", "", ["10.0.0.0/8"], "10.0.0.2"),
        ("::1", "2001:db8::7", ["::1/128"], "2001:db8::7"),
    ],
)
def test_client_ip_believes_only_declared_proxies(rf, settings, peer, forwarded, trusted, expected):
    settings.TRUSTED_PROXIES = trusted
    request = rf.get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_api_throttles_key_on_the_same_address(rf, settings):
    from crisisdesk.throttling import AnonRateThrottle

    request = rf.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert AnonRateThrottle().get_ident(request) == "203.0.113.5"
    settings.TRUSTED_PROXIES = ["203.0.113.0/24"]
    assert AnonRateThrottle().get_ident(request) == "198.51.100.1"


def test_a_username_spelt_like_the_office_address_does_not_count_against_it(community_manager, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5
    outsider = Client(REMOTE_ADDR="203.0.113.66")
    for number in range(5):
        console_login(outsider, "127.0.0.1", f"guess-{number}")
    assert console_login(Client(), "ana", PASSWORD).status_code == 302


def test_an_administrator_lifts_a_hold_by_hand(other_community_manager):
    from django.core.management import call_command

    for number in range(10):
        console_login(Client(), "luis", f"guess-{number}")
    assert console_login(Client(), "luis", PASSWORD).status_code == 429

    call_command("axes_reset_username", "luis")

    assert console_login(Client(), "luis", PASSWORD).status_code == 302
