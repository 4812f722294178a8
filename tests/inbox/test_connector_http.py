"""The HTTP behaviour every connector shares, against a local fake server: redirects, 410, rate limits.

Each platform's documented signals: Retry-After (seconds or HTTP date), X `x-rate-limit-*` (epoch
seconds), Mastodon `X-RateLimit-*` (ISO 8601), Meta error codes 4/17/32/613 and the usage headers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from inbox.connectors.base import ChannelGone, ConnectorError, RateLimited
from inbox.connectors.mastodon import MastodonConnector
from inbox.connectors.meta import FacebookConnector
from inbox.connectors.rss import RssConnector
from inbox.connectors.x import XConnector
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, Mention
from inbox.services import channel_poll
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def rss2_feed(shared_dir) -> bytes:
    return (shared_dir / "realdata/feeds/reddit_frontpage_rss2_2015__rss-parser.xml").read_bytes()


@pytest.fixture
def x_mentions(shared_dir) -> dict:
    return json.loads((shared_dir / "realdata/x_api/users_mentions__tweepy_cassette_2022.json").read_text())


@pytest.fixture
def masto_notifications(shared_dir) -> list:
    return json.loads((shared_dir / "realdata/mastodon/notifications_mentions__Mastodon.py.json").read_text())


def feed_channel(url: str) -> Channel:
    return Channel.objects.create(name="Foro", kind="rss", config={"url": url})


def test_a_feed_answering_301_is_followed_to_its_new_address(fake_platform, rss2_feed):
    fake_platform.script(
        "GET",
        "/old.rss",
        Reply(status=301, body=b"<html>Moved</html>", headers={"Location": "/new.rss", "Content-Type": "text/html"}),
    )
    fake_platform.script("GET", "/new.rss", Reply(body=rss2_feed, headers={"Content-Type": "application/rss+xml"}))
    channel = feed_channel(f"{fake_platform.url}/old.rss")

    report = channel_poll(channel_id=channel.pk)

    assert report is not None and report.created == 24
    assert [r.path for r in fake_platform.requests] == ["/old.rss", "/new.rss"]
    assert Mention.objects.filter(channel=channel).count() == 24


def test_redirects_are_bounded(fake_platform):
    fake_platform.script("GET", "/loop", Reply(status=302, body=b"", headers={"Location": "/loop"}))
    connector = RssConnector(config={"url": f"{fake_platform.url}/loop"})

    with pytest.raises(ConnectorError, match=r"Too many redirects \(more than 5\)"):
        connector.fetch_since({})
    assert len(fake_platform.received("GET", "/loop")) == 6


def test_a_redirect_to_another_origin_drops_the_authorization_header(fake_platform):
    other = fake_platform.url.replace("127.0.0.1", "localhost")
    fake_platform.script(
        "GET", "/api/v1/notifications", Reply(status=307, body=b"", headers={"Location": f"{other}/moved"})
    )
    fake_platform.script("GET", "/moved", Reply(json=[]))

    MastodonConnector(base_url=fake_platform.url, credentials={"access_token": "secret"}).fetch_since({})

    assert fake_platform.received("GET", "/api/v1/notifications")[0].headers["Authorization"] == "Bearer secret"
    assert "Authorization" not in fake_platform.received("GET", "/moved")[0].headers


def test_a_reply_is_never_turned_into_a_get_by_a_redirect(fake_platform):
    fake_platform.script("POST", "/2/tweets", Reply(status=302, body=b"", headers={"Location": "/elsewhere"}))
    connector = XConnector(base_url=fake_platform.url, credentials={"user_access_token": "u"})

    with pytest.raises(ConnectorError, match="a write was redirected"):
        connector.publish_reply(in_reply_to="1", text="hola")
    assert fake_platform.received("GET", "/elsewhere") == []


def test_410_gone_disables_the_channel_with_a_clear_health_message(fake_platform):
    fake_platform.script("GET", "/feed", Reply(status=410, body=b"Gone"))
    channel = feed_channel(f"{fake_platform.url}/feed")
    with pytest.raises(ChannelGone):
        RssConnector(config=channel.config).fetch_since({})

    assert channel_poll(channel_id=channel.pk) is None

    channel.refresh_from_db()
    assert channel.is_enabled is False
    assert channel.next_poll_at is None
    assert channel.consecutive_failures == 1
    assert "410 Gone" in channel.last_error and "disabled" in channel.last_error
    assert channel_poll(channel_id=channel.pk) is None  # a disabled channel is not polled again
    assert len(fake_platform.requests) == 2


def test_retry_after_as_an_http_date(fake_platform):
    fake_platform.script(
        "GET", "/feed", Reply(status=429, body=b"", headers={"Retry-After": "Wed, 21 Oct 2037 07:28:00 GMT"})
    )

    with pytest.raises(RateLimited) as raised:
        RssConnector(config={"url": f"{fake_platform.url}/feed"}).fetch_since({})
    assert raised.value.retry_at == datetime(2037, 10, 21, 7, 28, tzinfo=UTC)


def test_mastodon_429_waits_until_x_ratelimit_reset(fake_platform):
    fake_platform.script(
        "GET",
        "/api/v1/notifications",
        Reply(
            status=429,
            json={"error": "Too many requests"},
            headers={
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": "2037-03-02T10:05:00.123456Z",
            },
        ),
    )
    channel = Channel.objects.create(
        name="M",
        kind="mastodon",
        base_url=fake_platform.url,
        cursor={"min_id": "7"},
        credentials_encrypted=credentials_encrypt({"access_token": "t"}),
    )

    channel_poll(channel_id=channel.pk)

    channel.refresh_from_db()
    assert channel.next_poll_at == datetime(2037, 3, 2, 10, 5, 0, 123456, tzinfo=UTC)
    assert channel.cursor == {"min_id": "7"}


def test_mastodon_remaining_zero_stops_paging_and_defers_the_next_poll(fake_platform, masto_notifications):
    reset = (timezone.now() + timedelta(minutes=4)).replace(microsecond=0)
    first = masto_notifications[0] | {"id": "900"}
    fake_platform.script(
        "GET",
        "/api/v1/notifications",
        Reply(
            json=[first],
            headers={
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z"),
                "Link": f'<{fake_platform.url}/api/v1/notifications?max_id=1>; rel="next"',
            },
        ),
    )
    channel = Channel.objects.create(
        name="M",
        kind="mastodon",
        base_url=fake_platform.url,
        credentials_encrypted=credentials_encrypt({"access_token": "t"}),
    )

    report = channel_poll(channel_id=channel.pk)

    assert report is not None and report.created == 1
    assert len(fake_platform.requests) == 1  # the next page waits for the quota
    channel.refresh_from_db()
    assert channel.cursor == {"min_id": "900"}
    assert channel.next_poll_at == reset


def test_x_remaining_zero_keeps_the_page_token_and_waits_for_the_reset(fake_platform, x_mentions):
    fake_platform.script(
        "GET",
        "/2/users/783214/mentions",
        Reply(
            json=x_mentions,
            headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": "2100000000"},
        ),
    )
    channel = Channel.objects.create(
        name="X",
        kind="x",
        base_url=fake_platform.url,
        config={"user_id": "783214"},
        credentials_encrypted=credentials_encrypt({"bearer_token": "app"}),
    )

    report = channel_poll(channel_id=channel.pk)

    assert report is not None and report.created == len(x_mentions["data"])
    sent = fake_platform.received("GET", "/2/users/783214/mentions")
    assert len(sent) == 1 and sent[0].headers["Authorization"] == "Bearer app"
    channel.refresh_from_db()
    assert channel.cursor["next_token"] == x_mentions["meta"]["next_token"]
    assert channel.next_poll_at == datetime.fromtimestamp(2100000000, tz=UTC)


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_meta_throttle_error_codes_are_rate_limits(fake_platform, code):
    usage = {
        "1234": [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 20,
                "total_time": 30,
                "estimated_time_to_regain_access": 12,
            }
        ]
    }
    fake_platform.script(
        "GET",
        "/111/posts",
        Reply(
            status=400 if code != 32 else 403,
            json={"error": {"message": f"(#{code}) Too many calls", "type": "OAuthException", "code": code}},
            headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
        ),
    )
    connector = FacebookConnector(
        base_url=fake_platform.url, config={"page_id": "111"}, credentials={"access_token": "page-token"}
    )
    before = timezone.now()

    with pytest.raises(RateLimited, match=f"error code {code}") as raised:
        connector.fetch_since({})
    assert before + timedelta(minutes=12) <= raised.value.retry_at <= timezone.now() + timedelta(minutes=12)


def test_meta_other_errors_stay_connector_errors(fake_platform):
    fake_platform.script("GET", "/111/posts", Reply(status=400, json={"error": {"message": "bad", "code": 100}}))
    connector = FacebookConnector(
        base_url=fake_platform.url, config={"page_id": "111"}, credentials={"access_token": "t"}
    )
    with pytest.raises(ConnectorError, match="HTTP 400") as raised:
        connector.fetch_since({})
    assert not isinstance(raised.value, RateLimited)


def test_meta_app_usage_near_the_limit_defers_the_next_poll(fake_platform):
    fake_platform.script(
        "GET",
        "/111/posts",
        Reply(
            json={"data": []},
            headers={"X-App-Usage": json.dumps({"call_count": 96, "total_time": 20, "total_cputime": 5})},
        ),
    )
    connector = FacebookConnector(
        base_url=fake_platform.url, config={"page_id": "111"}, credentials={"access_token": "t"}
    )

    connector.fetch_since({})

    assert connector.backoff_until is not None
    assert connector.backoff_until >= timezone.now() + timedelta(minutes=14)


def test_meta_usage_below_the_limit_changes_nothing(fake_platform):
    fake_platform.script(
        "GET",
        "/111/posts",
        Reply(
            json={"data": []},
            headers={"X-App-Usage": '{"call_count": 40, "total_time": 94, "total_cputime": 3}'},
        ),
    )
    connector = FacebookConnector(
        base_url=fake_platform.url, config={"page_id": "111"}, credentials={"access_token": "t"}
    )
    connector.fetch_since({})
    assert connector.backoff_until is None


def test_a_write_redirected_to_another_origin_is_refused(fake_platform):
    other = fake_platform.url.replace("127.0.0.1", "localhost")
    fake_platform.script("POST", "/222_1/comments", Reply(status=307, body=b"", headers={"Location": f"{other}/steal"}))
    connector = FacebookConnector(base_url=fake_platform.url, credentials={"access_token": "page-token"})

    with pytest.raises(ConnectorError, match="another origin"):
        connector.publish_reply(in_reply_to="222_1", text="hola")
    assert fake_platform.received("POST", "/steal") == []
