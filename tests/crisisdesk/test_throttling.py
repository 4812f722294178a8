"""API rate limits: logins per address, anonymous calls and each user's calls answer 429 past the limit."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "5/min", "user": "4/min", "login": "3/min"},
    }


def test_api_logins_are_throttled_per_address_even_with_the_right_password(community_manager, small_rates):
    client = APIClient()
    for _ in range(3):
        response = client.post(
            "/api/auth/token/login/", {"username": "ana", "password": "wrong"}, format="json"
        )
        assert response.status_code == 400
    blocked = client.post(
        "/api/auth/token/login/", {"username": "ana", "password": "secret-pass-123"}, format="json"
    )
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    other_address = APIClient(REMOTE_ADDR="203.0.113.9")
    allowed = other_address.post(
        "/api/auth/token/login/", {"username": "ana", "password": "secret-pass-123"}, format="json"
    )
    assert allowed.status_code == 201


def test_an_authenticated_user_gets_429_after_the_user_rate(
    community_manager, other_community_manager, small_rates
):
    api = APIClient()
    api.force_authenticate(community_manager)
    assert [api.get("/api/channels/").status_code for _ in range(4)] == [200] * 4
    assert api.get("/api/channels/").status_code == 429
    colleague = APIClient()
    colleague.force_authenticate(other_community_manager)
    assert colleague.get("/api/channels/").status_code == 200


def test_anonymous_calls_get_429_after_the_anonymous_rate(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "5/min", "user": "100/min", "login": "100/min"},
    }
    anonymous = APIClient()
    statuses = [
        anonymous.post(
            "/api/auth/token/login/", {"username": "nobody", "password": "x"}, format="json"
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [400] * 5 + [429]


def test_the_default_rates_come_from_the_settings(settings):
    from crisisdesk.throttling import AnonRateThrottle, LoginRateThrottle, UserRateThrottle

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "crisisdesk.throttling.AnonRateThrottle",
        "crisisdesk.throttling.UserRateThrottle",
    ]
    assert AnonRateThrottle().rate == rates["anon"]
    assert UserRateThrottle().rate == rates["user"]
    assert LoginRateThrottle().rate == rates["login"]
