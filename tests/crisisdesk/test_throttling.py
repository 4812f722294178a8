"""API rate limits and the login policy: held accounts and addresses, anonymous and per-user calls answer 429."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "5/min", "user": "4/min"},
    }


def test_api_logins_are_held_per_account_even_with_the_right_password(community_manager, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = APIClient()
    statuses = [
        client.post("/api/auth/token/login/", {"username": "ana", "password": "wrong"}, format="json").status_code
        for _ in range(3)
    ]
    assert statuses == [400, 400, 429]
    blocked = APIClient(REMOTE_ADDR="203.0.113.9").post(
        "/api/auth/token/login/", {"username": "ana", "password": "secret-pass-123"}, format="json"
    )
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert "Too many failed logins" in blocked.json()["detail"]


def test_another_account_logs_in_from_the_same_address(community_manager, other_community_manager, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = APIClient()
    for _ in range(4):
        client.post("/api/auth/token/login/", {"username": "luis", "password": "wrong"}, format="json")
    allowed = client.post(
        "/api/auth/token/login/", {"username": "ana", "password": "secret-pass-123"}, format="json"
    )
    assert allowed.status_code == 201


def test_an_address_is_held_after_the_address_limit_whatever_the_account(community_manager, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5
    client = APIClient()
    statuses = [
        client.post(
            "/api/auth/token/login/", {"username": f"nobody{number}", "password": "x"}, format="json"
        ).status_code
        for number in range(5)
    ]
    assert statuses == [400] * 4 + [429]
    held = client.post("/api/auth/token/login/", {"username": "ana", "password": "secret-pass-123"}, format="json")
    assert held.status_code == 429
    elsewhere = APIClient(REMOTE_ADDR="203.0.113.9").post(
        "/api/auth/token/login/", {"username": "ana", "password": "secret-pass-123"}, format="json"
    )
    assert elsewhere.status_code == 201


def test_the_cool_down_doubles_with_each_failure_past_the_limit(settings):
    from crisisdesk.login_policy import account_cool_off_seconds

    settings.LOGIN_FAILURE_LIMIT = 10
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 300
    settings.LOGIN_COOLOFF_MAX_SECONDS = 3600
    assert [account_cool_off_seconds(failures) for failures in (1, 9, 10, 11, 12, 13, 14, 40)] == [
        300, 300, 300, 600, 1200, 2400, 3600, 3600
    ]


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
        "DEFAULT_THROTTLE_RATES": {"anon": "5/min", "user": "100/min"},
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
    from crisisdesk.throttling import AnonRateThrottle, UserRateThrottle

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "crisisdesk.throttling.AnonRateThrottle",
        "crisisdesk.throttling.UserRateThrottle",
    ]
    assert AnonRateThrottle().rate == rates["anon"]
    assert UserRateThrottle().rate == rates["user"]


def test_the_last_minute_still_counts_after_the_minute_turns(community_manager, small_rates, monkeypatch):
    """4 a minute: four calls at 0:50, then at 1:10 two thirds of them still fall inside the window."""
    from crisisdesk.throttling import UserRateThrottle

    clock = {"now": 6000 * 60 + 50.0}
    monkeypatch.setattr(UserRateThrottle, "timer", lambda self: clock["now"])
    api = APIClient()
    api.force_authenticate(community_manager)
    assert [api.get("/api/channels/").status_code for _ in range(4)] == [200] * 4

    clock["now"] += 20  # 1:10 — 4 × (50/60) ≈ 3.3 of the last window's calls still count
    assert api.get("/api/channels/").status_code == 429
    clock["now"] += 40  # 1:50 — 4 × (10/60), the refused call and this one ≈ 2.7
    assert [api.get("/api/channels/").status_code for _ in range(2)] == [200, 200]
    refused = [api.get("/api/channels/") for _ in range(3)][-1]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 10


def test_a_rate_limit_whose_counters_do_not_answer_lets_the_call_through(community_manager, small_rates, monkeypatch):
    from crisisdesk import throttling

    def broken(*args, **kwargs):
        raise ConnectionError("Redis is gone")

    monkeypatch.setattr(throttling, "_window_counts", broken)
    api = APIClient()
    api.force_authenticate(community_manager)
    assert [api.get("/api/channels/").status_code for _ in range(6)] == [200] * 6


def test_without_redis_the_cache_api_counts_the_same(community_manager, small_rates, monkeypatch):
    """The embedded mode's memory cache has no pipeline: the counters go through the cache's own API."""
    from crisisdesk import throttling

    monkeypatch.setattr(throttling, "redis_client_for", lambda key: None)
    api = APIClient()
    api.force_authenticate(community_manager)
    assert [api.get("/api/channels/").status_code for _ in range(5)] == [200] * 4 + [429]
