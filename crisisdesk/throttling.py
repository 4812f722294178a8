"""API rate limits, keyed on the client address that `crisisdesk.clientip` vouches for.

Logins are not limited here: `crisisdesk.login_policy` holds one policy for every login surface.
"""

from __future__ import annotations

from typing import cast

from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling
from rest_framework.settings import api_settings

from crisisdesk.clientip import client_ip


class LiveRatesMixin:
    """Read the rate from the settings on every request, and the address from `client_ip`.

    DRF binds `THROTTLE_RATES` when its module is imported, so a rate changed later (a test, a
    settings override) would be silently ignored. DRF's own `get_ident` believes X-Forwarded-For
    from anyone while NUM_PROXIES is unset.
    """

    scope: str | None

    def get_rate(self) -> str | None:
        # The stubs type the rates as numbers; DRF's rates are "N/period" strings (or None for no limit).
        rates = cast("dict[str | None, str | None]", api_settings.DEFAULT_THROTTLE_RATES)
        try:
            return rates[self.scope]
        except KeyError as error:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}.") from error

    def get_ident(self, request) -> str:
        return client_ip(request)


class AnonRateThrottle(LiveRatesMixin, throttling.AnonRateThrottle):
    """Anonymous API calls, per client address."""


class UserRateThrottle(LiveRatesMixin, throttling.UserRateThrottle):
    """Authenticated API calls, per user."""
