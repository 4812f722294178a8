"""Reading each platform's rate-limit signals: the headers and error bodies their documentation names.

* `Retry-After` (RFC 9110): delay in seconds or an HTTP date.
* X: `x-rate-limit-remaining` and `x-rate-limit-reset` (Unix epoch seconds), 429 with error code 88.
* Mastodon: `X-RateLimit-Remaining` and `X-RateLimit-Reset` (an ISO 8601 time), 429.
* App Store Connect: `X-Rate-Limit: user-hour-lim:3500;user-hour-rem:500;` (a rolling hour per key), 429.
* Google APIs: 429, or 403 with `error.errors[].reason` `rateLimitExceeded` / `quotaExceeded` /
  `userRateLimitExceeded` / `dailyLimitExceeded`.
* Meta Graph API: error codes 4 (app), 17 (user), 32 (page), 613 (custom) and 80001-80014 (business use
  case) in the JSON error body, usually with HTTP 400/403; `X-App-Usage` and `X-Page-Usage`
  (`{"call_count": %, "total_time": %, "total_cputime": %}`) and `X-Business-Use-Case-Usage`
  (`{"<id>": [{"call_count": %, ..., "estimated_time_to_regain_access": minutes}]}`).

Every function here is pure (headers in, a time or a number out) and never raises on a malformed
header: a platform's odd header must not turn a good response into a failed poll.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

META_THROTTLE_CODES = frozenset({4, 17, 32, 613}) | frozenset(range(80001, 80015))
META_USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-ad-account-usage")
META_USAGE_LIMIT = 95  # percent of a Meta quota at which we stop calling before Meta refuses
LONGEST_WAIT = timedelta(hours=24)  # a Retry-After in seconds longer than this is a broken header


def retry_after(value: str | None, *, now: datetime) -> datetime | None:
    """`Retry-After: 120` or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT` as an aware time."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return now + timedelta(seconds=min(int(text), int(LONGEST_WAIT.total_seconds())))
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def epoch_time(value: str | None) -> datetime | None:
    """X's `x-rate-limit-reset`: Unix seconds."""
    text = (value or "").strip()
    if not text.isdigit():
        return None
    try:
        return datetime.fromtimestamp(int(text), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def iso_time(value: str | None) -> datetime | None:
    """Mastodon's `X-RateLimit-Reset`: an ISO 8601 time such as `2026-03-02T10:05:00.000Z`."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def remaining(value: str | None) -> int | None:
    """`x-rate-limit-remaining` / `X-RateLimit-Remaining` as a number, None when absent or unreadable."""
    text = (value or "").strip()
    return int(text) if text.isdigit() else None


GOOGLE_QUOTA_REASONS = frozenset({"quotaExceeded", "rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded"})


def apple_remaining(value: str | None) -> int | None:
    """`user-hour-rem` of App Store Connect's `X-Rate-Limit` header, None when absent or unreadable."""
    for part in (value or "").split(";"):
        name, _, number = part.partition(":")
        if name.strip() == "user-hour-rem":
            text = number.strip()
            return int(text) if text.lstrip("-").isdigit() else None
    return None


def google_error_reason(body: Any) -> str:
    """The first `error.errors[].reason` of a Google API error body ("" for any other shape)."""
    error = body.get("error") if isinstance(body, dict) else None
    errors = error.get("errors") if isinstance(error, dict) else None
    first = errors[0] if isinstance(errors, list) and errors else None
    return str(first.get("reason") or "") if isinstance(first, dict) else ""


def meta_usage(headers: Mapping[str, str]) -> tuple[int, int]:
    """(highest quota percentage used, minutes until access is regained) from Meta's usage headers."""
    highest, regain = 0, 0
    for name in META_USAGE_HEADERS:
        highest = max(highest, _highest_percent(_json_object(headers.get(name))))
    for rows in _json_object(headers.get("x-business-use-case-usage")).values():
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict):
                highest = max(highest, _highest_percent(row))
                regain = max(regain, _number(row.get("estimated_time_to_regain_access")))
    return highest, regain


def meta_error_code(body: Any) -> int | None:
    """The `error.code` of a Graph API error body, None for any other shape."""
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def clamp(moment: datetime, *, now: datetime) -> datetime:
    """A reset time in the past (a clock skew) means "now". A far one is kept: X's monthly caps reset
    at the start of the next billing period, and the channel's health shows the wait."""
    return max(moment, now)


def _json_object(value: str | None) -> dict[str, Any]:
    try:
        parsed = json.loads(value) if value else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _highest_percent(row: Mapping[str, Any]) -> int:
    return max((_number(row.get(key)) for key in ("call_count", "total_time", "total_cputime")), default=0)


def _number(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError, OverflowError):
        return 0
