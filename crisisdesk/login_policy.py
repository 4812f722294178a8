"""One login policy for every login surface: the console, /admin/ and the API's token login.

django-axes watches every `authenticate()` call through its backend and signals; this handler keeps
its counters in the cache (Redis in production, shared by every web process) with two limits:

- per account (`LOGIN_FAILURE_LIMIT`, default 10): past it that username is refused, whatever the
  password and wherever it comes from, for a cool-down that starts at `LOGIN_FAILURE_WINDOW_SECONDS`
  (default 300) and doubles with every further failure, up to `LOGIN_COOLOFF_MAX_SECONDS` (one day);
- per address (`LOGIN_ADDRESS_FAILURE_LIMIT`, default 100 within the window): a whole office behind
  one NAT shares an address, so one person's typos or one attacker's guesses must not lock out
  everyone else's correct logins before then.

The address is `crisisdesk.clientip.client_ip`, which believes forwarded headers only from
`TRUSTED_PROXIES`. The cache handler is chosen over axes' database handler so that a flood of wrong
passwords costs Redis increments, not PostgreSQL row locks and writes on the login path.
"""

from __future__ import annotations

import hashlib
import logging
import math
from datetime import timedelta

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_cache, get_client_username
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import ngettext
from rest_framework.exceptions import Throttled

from crisisdesk.clientip import client_ip

logger = logging.getLogger(__name__)


def _account_limit() -> int:
    return int(settings.LOGIN_FAILURE_LIMIT)


def _address_limit() -> int:
    return int(settings.LOGIN_ADDRESS_FAILURE_LIMIT)


def _window() -> int:
    return int(settings.LOGIN_FAILURE_WINDOW_SECONDS)


def account_cool_off_seconds(failures: int) -> int:
    """How long an account with this many recent failures is refused: the window once at the limit,
    doubled with each failure past it (an attacker who keeps trying only lengthens it), capped."""
    if failures < _account_limit():
        return _window()
    doublings = min(failures - _account_limit(), 32)
    return min(_window() * 2**doublings, int(settings.LOGIN_COOLOFF_MAX_SECONDS))


def _key(kind: str, value: str) -> str:
    # Namespaced by kind: axes' own keys hash the bare value, so a username spelt like the office's
    # address would count against that address.
    return f"login-policy:{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def _keys(request: HttpRequest, credentials: dict | None) -> tuple[str, str]:
    username = get_client_username(request, credentials) or ""
    return _key("account", username), _key("address", client_ip(request) or "")


def _failures(cache, request: HttpRequest, credentials: dict | None) -> tuple[int, int]:
    account_key, address_key = _keys(request, credentials)
    counts = cache.get_many([account_key, address_key])
    return int(counts.get(account_key, 0)), int(counts.get(address_key, 0))


def login_retry_after_seconds(request: HttpRequest, credentials: dict | None = None) -> int:
    """Seconds until this request's account and address may try again (0 when neither is held)."""
    account, address = _failures(get_cache(), request, credentials)
    waits = [0]
    if account >= _account_limit():
        waits.append(account_cool_off_seconds(account))
    if address >= _address_limit():
        waits.append(_window())
    return max(waits)


def login_cool_off(request: HttpRequest | None) -> timedelta:
    """AXES_COOLOFF_TIME: the cool-down this request faces, or the window when it faces none."""
    if request is None:
        return timedelta(seconds=_window())
    return timedelta(seconds=login_retry_after_seconds(request) or _window())


class LoginPolicyHandler(AxesCacheHandler):
    """Axes' cache handler with separate limits per account and per address (axes has one for all)."""

    def _count(self, key: str, timeout: int) -> int:
        if self.cache.add(key, 1, timeout=timeout):
            return 1
        try:
            failures = self.cache.incr(key)
        except ValueError:  # expired between add and incr
            self.cache.set(key, 1, timeout=timeout)
            return 1
        self.cache.touch(key, timeout=timeout)
        return failures

    def reset_attempts(
        self, *, ip_address: str | None = None, username: str | None = None, ip_or_username: bool = False
    ) -> int:
        """What `manage.py axes_reset_username` and `axes_reset_ip` call: lift a hold by hand."""
        keys = ([_key("account", username)] if username else []) + ([_key("address", ip_address)] if ip_address else [])
        return sum(bool(self.cache.delete(key)) for key in keys)

    def get_failures(self, request, credentials: dict | None = None) -> int:
        return _failures(self.cache, request, credentials)[0]

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        account, address = _failures(self.cache, request, credentials)
        return account >= _account_limit() or address >= _address_limit()

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        if request is None:
            logger.error("Login failure without a request: the login policy cannot count it.")
            return
        if self.is_whitelisted(request, credentials):
            return
        account_key, address_key = _keys(request, credentials)
        account = self._count(account_key, timeout=_window())
        self.cache.touch(account_key, timeout=account_cool_off_seconds(account))
        address = self._count(address_key, timeout=_window())
        request.axes_failures_since_start = account
        if account >= _account_limit() or address >= _address_limit():
            username = get_client_username(request, credentials)
            logger.warning("Login held: %d recent failures for the account, %d from the address", account, address)
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=username, ip_address=request.axes_ip_address)

    def user_logged_in(self, sender, request, user, **kwargs) -> None:
        """A correct password clears that account's failures, never the address's: one colleague's
        login must not hand an attacker in the same office a fresh allowance."""
        account_key, _ = _keys(request, {"username": user.get_username()})
        self.cache.delete(account_key)


def login_held_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed logins. Wait %(minutes)d minute and try again.",
        "Too many failed logins. Wait %(minutes)d minutes and try again.",
        minutes,
    ) % {"minutes": minutes}


def login_held_response(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE for the console's and the admin's login pages: the login form again, with
    the reason and status 429."""
    seconds = login_retry_after_seconds(request, credentials) or _window()
    username = get_client_username(request, credentials) or ""
    response = TemplateResponse(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request, initial={"username": username}),
            "held_message": login_held_message(seconds),
            "next": request.POST.get("next", request.GET.get("next", "")),
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response.render()


class LoginHeld(Throttled):
    """The API's 429 for a held login: JSON `detail` and `Retry-After`."""

    def __init__(self, *, wait: int) -> None:
        super().__init__(detail=login_held_message(wait))
        self.wait = wait
