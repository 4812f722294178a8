"""Login throttling: a few failed attempts per address and username per window, then 429."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

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
