"""The platforms' rate-limit headers, read without ever failing on a malformed one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox.connectors import ratelimits

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_retry_after_seconds_and_http_date():
    assert ratelimits.retry_after("120", now=NOW) == NOW + timedelta(seconds=120)
    assert ratelimits.retry_after("Mon, 02 Mar 2026 10:05:00 GMT", now=NOW) == NOW + timedelta(minutes=5)
    assert ratelimits.retry_after("99999999999", now=NOW) == NOW + ratelimits.LONGEST_WAIT


@pytest.mark.parametrize("value", ["", None, "soon", "-5", "1e9", "Mon, 99 Foo"])
def test_unreadable_retry_after_is_none(value):
    assert ratelimits.retry_after(value, now=NOW) is None


def test_x_epoch_and_mastodon_iso_resets():
    assert ratelimits.epoch_time("1772445600") == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert ratelimits.epoch_time("9" * 40) is None
    assert ratelimits.iso_time("2026-03-02T10:05:00.000Z") == datetime(2026, 3, 2, 10, 5, tzinfo=UTC)
    assert ratelimits.iso_time("tomorrow") is None
    assert ratelimits.remaining("0") == 0 and ratelimits.remaining("x") is None


def test_meta_usage_headers():
    headers = {
        "x-app-usage": '{"call_count": 12, "total_time": 3, "total_cputime": 1}',
        "x-business-use-case-usage": (
            '{"99": [{"type": "pages", "call_count": 97, "estimated_time_to_regain_access": 7}]}'
        ),
    }
    assert ratelimits.meta_usage(headers) == (97, 7)
    assert ratelimits.meta_usage({"x-app-usage": "not json", "x-business-use-case-usage": "[1]"}) == (0, 0)
    assert ratelimits.meta_error_code({"error": {"code": 613}}) == 613
    assert ratelimits.meta_error_code({"error": "x"}) is None
