"""The X connector against a local fake of API v2: pages, cursors, rate limits, failures and replies."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from inbox.connectors.base import ConnectorError
from inbox.connectors.x import XConnector
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, DeadLetter, Mention, ReplyState
from inbox.models import Reply as ReplyModel
from inbox.services import channel_poll, reply_send
from tests import factories
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

MENTIONS_PATH = "/2/users/42/mentions"


def tweet(tweet_id: str, text: str, author_id: str = "u1", **extra) -> dict:
    return {
        "id": tweet_id,
        "text": text,
        "author_id": author_id,
        "created_at": "2026-03-02T10:00:00.000Z",
    } | extra


def page(tweets: list[dict], *, next_token: str | None = None, users: list[dict] | None = None) -> dict:
    meta = {"result_count": len(tweets), "newest_id": tweets[0]["id"], "oldest_id": tweets[-1]["id"]}
    if next_token:
        meta["next_token"] = next_token
    users = users or [
        {
            "id": "u1",
            "username": "lucia_mad",
            "name": "Lucía",
            "verified": False,
            "public_metrics": {"followers_count": 15200},
        },
        {
            "id": "u2",
            "username": "pablo",
            "name": "Pablo",
            "verified_type": "blue",
            "public_metrics": {"followers_count": 12},
        },
    ]
    return {"data": tweets, "includes": {"users": users}, "meta": meta}


def x_channel(url: str, **cursor) -> Channel:
    return Channel.objects.create(
        name="X Telco",
        kind="x",
        base_url=url,
        config={"user_id": "42"},
        cursor=cursor,
        credentials_encrypted=credentials_encrypt({"bearer_token": "bearer-secret"}),
    )


def test_poll_follows_next_token_pages_and_advances_since_id(fake_platform):
    # Given two pages of mentions newer than the stored cursor
    fake_platform.script(
        "GET",
        MENTIONS_PATH,
        Reply(
            json=page(
                [tweet("300", "@Telco sin servicio en Madrid"), tweet("290", "¿caída?", "u2")],
                next_token="page-2",
            )
        ),
        Reply(
            json=page(
                [
                    tweet(
                        "280",
                        "Tercera mención",
                        "u1",
                        referenced_tweets=[{"type": "replied_to", "id": "290"}],
                    )
                ]
            )
        ),
    )
    channel = x_channel(fake_platform.url, since_id="100")

    # When the channel is polled
    report = channel_poll(channel_id=channel.pk)

    # Then both pages were read with the bearer token, since_id and the expansions
    requests = fake_platform.received("GET", MENTIONS_PATH)
    assert len(requests) == 2
    assert requests[0].headers["Authorization"] == "Bearer bearer-secret"
    assert requests[0].query["since_id"] == ["100"]
    assert requests[0].query["expansions"] == ["author_id"]
    assert "conversation_id" in requests[0].query["tweet.fields"][0]
    assert "pagination_token" not in requests[0].query
    assert requests[1].query["pagination_token"] == ["page-2"]
    # and the three mentions are stored with their authors, threads and links
    assert report.created == 3
    first = Mention.objects.select_related("author").get(external_id="300")
    assert first.author.handle == "lucia_mad"
    assert first.author.followers == 15200
    assert first.url == "https://x.com/lucia_mad/status/300"
    assert first.posted_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    reply = Mention.objects.get(external_id="280")
    assert reply.in_reply_to_external_id == "290"
    assert reply.conversation_id == "290"
    assert Mention.objects.get(external_id="290").author.verified is True
    # and the cursor moved to the newest id of the run
    channel.refresh_from_db()
    assert channel.cursor == {"since_id": "300"}
    assert channel.consecutive_failures == 0


def test_a_run_cut_short_keeps_since_id_and_resumes_from_the_page_token(fake_platform):
    fake_platform.script("GET", MENTIONS_PATH, Reply(json=page([tweet("500", "uno")], next_token="more")))
    connector = XConnector(
        base_url=fake_platform.url, config={"user_id": "42"}, credentials={"bearer_token": "t"}
    )
    connector.max_pages = 1

    # When a fetch stops before the last page
    result = connector.fetch_since({"since_id": "100"})

    # Then since_id did not move; the page token and the newest id wait for the next run
    assert result.next_cursor == {"since_id": "100", "next_token": "more", "pending_newest_id": "500"}

    # When the next run reads the last page
    fake_platform.script("GET", MENTIONS_PATH, Reply(json=page([tweet("450", "dos")])))
    result = connector.fetch_since(result.next_cursor)

    # Then it resumed from the token and only now advanced since_id to the newest of the whole run
    assert fake_platform.received("GET", MENTIONS_PATH)[-1].query["pagination_token"] == ["more"]
    assert result.next_cursor == {"since_id": "500"}


def test_rate_limit_leaves_the_cursor_and_shows_on_channel_health(fake_platform):
    reset = 1_900_000_000
    fake_platform.script(
        "GET",
        MENTIONS_PATH,
        Reply(status=429, json={"title": "Too Many Requests"}, headers={"x-rate-limit-reset": str(reset)}),
    )
    channel = x_channel(fake_platform.url, since_id="100")

    assert channel_poll(channel_id=channel.pk) is None

    channel.refresh_from_db()
    assert channel.cursor == {"since_id": "100"}
    assert channel.consecutive_failures == 1
    assert "Rate limited" in channel.last_error
    assert channel.next_poll_at == datetime.fromtimestamp(reset, tz=UTC)
    assert Mention.objects.count() == 0

    # A second failure counts up
    channel_poll(channel_id=channel.pk)
    channel.refresh_from_db()
    assert channel.consecutive_failures == 2


def test_server_error_counts_a_failure_and_stores_nothing(fake_platform):
    fake_platform.script("GET", MENTIONS_PATH, Reply(status=503, body=b"upstream down"))
    channel = x_channel(fake_platform.url, since_id="100")

    channel_poll(channel_id=channel.pk)

    channel.refresh_from_db()
    assert channel.consecutive_failures == 1
    assert "HTTP 503" in channel.last_error
    assert channel.cursor == {"since_id": "100"}


def test_a_slow_server_times_out_with_a_clear_error(fake_platform):
    fake_platform.script("GET", MENTIONS_PATH, Reply(json=page([tweet("1", "tarde")]), delay=1.0))
    connector = XConnector(
        base_url=fake_platform.url,
        config={"user_id": "42"},
        credentials={"bearer_token": "t"},
        http=httpx.Client(timeout=0.2),
    )

    with pytest.raises(ConnectorError, match="Timed out"):
        connector.fetch_since({})


@pytest.mark.parametrize("body", [b'{"data": [{"id": "1", "text": "cortad', b"<html>Bad gateway</html>"])
def test_truncated_or_invalid_json_fails_the_poll_without_moving_the_cursor(fake_platform, body):
    fake_platform.script("GET", MENTIONS_PATH, Reply(body=body))
    channel = x_channel(fake_platform.url, since_id="100")

    channel_poll(channel_id=channel.pk)

    channel.refresh_from_db()
    assert "Invalid JSON" in channel.last_error
    assert channel.cursor == {"since_id": "100"}
    assert Mention.objects.count() == 0


def test_a_malformed_tweet_goes_to_dead_letters_and_the_rest_is_stored(fake_platform):
    fake_platform.script(
        "GET",
        MENTIONS_PATH,
        Reply(
            json=page(
                [
                    tweet("20", "válida"),
                    {"id": "19", "author_id": "u1", "created_at": "2026-03-02T10:00:00Z"},
                    tweet("18", "otra válida"),
                ]
            )
        ),
    )
    channel = x_channel(fake_platform.url)

    report = channel_poll(channel_id=channel.pk)

    assert report.created == 2
    assert report.rejected == 1
    dead = DeadLetter.objects.get()
    assert dead.channel == channel
    assert dead.source == "poll:x"
    assert "'text' is missing" in dead.reason
    assert '"19"' in dead.payload


def test_reply_is_published_with_the_signature(fake_platform, community_manager):
    fake_platform.script("POST", "/2/tweets", Reply(status=201, json={"data": {"id": "777", "text": "..."}}))
    channel = x_channel(fake_platform.url)
    mention = factories.MentionFactory(channel=channel, external_id="1500")
    queued = ReplyModel.objects.create(
        mention=mention, author=community_manager, body="Lo estamos revisando.", signature="— Ana"
    )

    reply_send(reply_id=queued.pk)

    sent = fake_platform.received("POST", "/2/tweets")
    assert len(sent) == 1
    assert sent[0].headers["Authorization"] == "Bearer bearer-secret"
    assert sent[0].json() == {
        "text": "Lo estamos revisando.\n— Ana",
        "reply": {"in_reply_to_tweet_id": "1500"},
    }
    queued.refresh_from_db()
    assert queued.state == ReplyState.SENT
    assert queued.external_id == "777"


def test_search_channel_uses_recent_search_with_the_query(fake_platform):
    fake_platform.script("GET", "/2/tweets/search/recent", Reply(json=page([tweet("9", "Telco caída")])))
    connector = XConnector(
        base_url=fake_platform.url,
        config={"query": "@Telco OR #CaidaTelco"},
        credentials={"bearer_token": "t"},
    )

    result = connector.fetch_since({})

    assert [mention.external_id for mention in result.mentions] == ["9"]
    assert fake_platform.received("GET", "/2/tweets/search/recent")[0].query["query"] == [
        "@Telco OR #CaidaTelco"
    ]
    assert result.next_cursor == {"since_id": "9"}
