"""API rate limits, keyed on the client address that `crisisdesk.clientip` vouches for.

Logins are not limited here: `crisisdesk.login_policy` holds one policy for every login surface.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling
from rest_framework.settings import api_settings

from crisisdesk.cache import redis_client_for
from crisisdesk.clientip import client_ip

logger = logging.getLogger(__name__)


class SlidingWindowCounterMixin:
    """A rate as two counters, this window's and the last one's, the last weighed by how much of it still
    falls inside the sliding window: one Redis round trip and no list per client.

    DRF's own throttle keeps a log of every call in the window, read, unpickled, pickled and written back
    on each request: at 6,000 calls a minute that is a list of thousands of floats per request, the
    throttle's 5 % of an API request under load (docs/PERFORMANCE.md). The estimate is the one rate
    limiters at the edge use; it never lets through more than the rate within one window. A call that
    is refused still counts, so a client hammering past its rate stays limited. When the cache does not
    answer the call is let through: a rate limit must not take the API down with Redis.
    """

    # Provided by SimpleRateThrottle, which this is mixed into.
    rate: str | None
    num_requests: int
    duration: int
    timer: Any
    get_cache_key: Any
    key: str | None

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window, elapsed = divmod(now, self.duration)
        self._retry_after = self.duration - elapsed
        try:
            current, previous = _window_counts(self.key, int(window), ttl=2 * self.duration)
        except Exception:
            logger.warning("The rate limit's counters did not answer; letting the call through", exc_info=True)
            return True
        return previous * (1 - elapsed / self.duration) + current <= self.num_requests

    def wait(self) -> float:
        """Seconds until this window closes, when the count starts to fall."""
        return max(1.0, getattr(self, "_retry_after", float(self.duration)))


def _window_counts(key: str, window: int, *, ttl: int) -> tuple[int, int]:
    """This window's count with the call added, and the previous window's."""
    current_key, previous_key = f"{key}:{window}", f"{key}:{window - 1}"
    client = redis_client_for(current_key)
    if client is None:
        cache.add(current_key, 0, timeout=ttl)
        return int(cache.incr(current_key)), int(cache.get(previous_key) or 0)
    pipeline = client.pipeline(transaction=False)
    pipeline.incr(cache.make_and_validate_key(current_key))
    pipeline.expire(cache.make_and_validate_key(current_key), ttl)
    pipeline.get(cache.make_and_validate_key(previous_key))
    current, _, previous = pipeline.execute()
    return int(current), int(previous or 0)


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


class AnonRateThrottle(SlidingWindowCounterMixin, LiveRatesMixin, throttling.AnonRateThrottle):
    """Anonymous API calls, per client address."""


class UserRateThrottle(SlidingWindowCounterMixin, LiveRatesMixin, throttling.UserRateThrottle):
    """Authenticated API calls, per user."""
