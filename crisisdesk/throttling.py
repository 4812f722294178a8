"""Login throttling: a few failed attempts per address and username per window, then 429."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from rest_framework import throttling

WINDOW_SECONDS = 300


def _limit() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_LIMIT", 10))


def _keys(request: HttpRequest) -> list[str]:
    address = request.META.get("REMOTE_ADDR", "unknown")
    username = (request.POST.get("username") or "").strip().lower()[:150]
    return [f"login-fail:ip:{address}", f"login-fail:user:{username}"]


def login_throttled(view):
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        keys = _keys(request)
        if any((cache.get(key) or 0) >= _limit() for key in keys):
            response = HttpResponse("Too many failed logins; wait a few minutes.", status=429)
            response["Retry-After"] = str(WINDOW_SECONDS)
            return response
        response = view(request, *args, **kwargs)
        failed = response.status_code == 200 and not request.user.is_authenticated
        if failed:
            for key in keys:
                cache.add(key, 0, WINDOW_SECONDS)
                try:
                    cache.incr(key)
                except ValueError:
                    cache.set(key, 1, WINDOW_SECONDS)
        return response

    return wrapped


class LiveRatesMixin:
    """Read the rate from the settings on every request.

    DRF binds `THROTTLE_RATES` when its module is imported, so a rate changed later (a test, a
    settings override) would be silently ignored.
    """

    scope: str

    def get_rate(self) -> str | None:
        from django.core.exceptions import ImproperlyConfigured
        from rest_framework.settings import api_settings

        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as error:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}.") from error


class AnonRateThrottle(LiveRatesMixin, throttling.AnonRateThrottle):
    """Anonymous API calls, per client address."""


class UserRateThrottle(LiveRatesMixin, throttling.UserRateThrottle):
    """Authenticated API calls, per user."""


class LoginRateThrottle(LiveRatesMixin, throttling.AnonRateThrottle):
    """Password logins over the API, per client address, successful or not (rate `login`)."""

    scope = "login"
