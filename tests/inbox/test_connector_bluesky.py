"""The Bluesky connector against a local fake PDS speaking XRPC, driven by the atproto test-suite payloads.

Session (createSession, refreshSession on ExpiredToken), listNotifications walked back through its
cursor, searchPosts, replies through getPosts + createRecord with root and parent refs, 429 with
RateLimit-Reset. Fixtures and their sources: tests/inbox/fixtures/bluesky/README.md.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inbox.connectors import bluesky, capabilities_for
from inbox.connectors.base import RateLimited
from inbox.connectors.bluesky import BlueskyConnector, post_url
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, DeadLetter, Mention
from inbox.services import channel_poll
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_kept_sessions():
    """Each test starts without a session kept by an earlier one (each fake PDS has its own port anyway)."""
    bluesky._SESSIONS.clear()
    yield
    bluesky._SESSIONS.clear()

FIXTURES = Path(__file__).parent / "fixtures" / "bluesky"
NOTIFICATIONS = "/xrpc/app.bsky.notification.listNotifications"
CREATE_SESSION = "/xrpc/com.atproto.server.createSession"
REFRESH_SESSION = "/xrpc/com.atproto.server.refreshSession"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
GET_POSTS = "/xrpc/app.bsky.feed.getPosts"
CREATE_RECORD = "/xrpc/com.atproto.repo.createRecord"
DID = "did:plc:u5cwb2mwiv2bfq53cjufe6yn"
CREDENTIALS = {"identifier": "telco.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"}


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def session(access: str = "access-1", refresh: str = "refresh-1") -> dict:
    """The createSession/refreshSession output the lexicon names (no published example carries real tokens)."""
    return {"did": DID, "handle": "telco.bsky.social", "accessJwt": access, "refreshJwt": refresh, "active": True}


def notifications(*stamps: str) -> list[dict]:
    """The atproto suite's notifications, each given its own indexedAt (the suite pins them all to 1970)."""
    items = copy.deepcopy(load("notifications_without_last_seen.json"))
    for item, stamp in zip(items, stamps, strict=False):
        item["indexedAt"] = stamp
    return items[: len(stamps)] if stamps else items


def connector(url: str, **config) -> BlueskyConnector:
    return BlueskyConnector(base_url=url, credentials=CREDENTIALS, config=config)


def stamp(minute: int) -> str:
    return f"2026-12-02T10:{minute:02d}:00.000Z"


def test_first_poll_creates_a_session_and_walks_older_pages_through_the_cursor(fake_platform):
    items = notifications(*(stamp(59 - index) for index in range(13)))
    fake_platform.script("POST", CREATE_SESSION, Reply(json=session()))
    fake_platform.script(
        "GET",
        NOTIFICATIONS,
        Reply(json={"cursor": "page-2", "notifications": items[:7]}),
        Reply(json={"notifications": items[7:]}),
    )

    result = connector(fake_platform.url).fetch_since({})

    login = fake_platform.received("POST", CREATE_SESSION)[0]
    assert login.json() == {"identifier": "telco.bsky.social", "password": "abcd-efgh-ijkl-mnop"}
    first, second = fake_platform.received("GET", NOTIFICATIONS)
    assert first.headers["Authorization"] == "Bearer access-1"
    assert first.query == {"limit": ["50"], "reasons": ["mention", "reply", "quote"]}
    assert second.query["cursor"] == ["page-2"]
    # Likes, reposts and follows are not mentions; the mention and the three replies are.
    assert [mention.text for mention in result.mentions] == [
        "@alice.bluesky.xyz is the best",
        "indeed",
        "of course",
        "hear that label_me label_me_2",
    ]
    reply = result.mentions[1]
    assert reply.in_reply_to_external_id == items[5]["record"]["reply"]["parent"]["uri"]
    assert reply.conversation_id == items[5]["record"]["reply"]["root"]["uri"]
    assert reply.author.handle == "carol.test"
    assert result.next_cursor == {"notifications_since": stamp(59)}


def test_a_later_poll_stops_at_the_stored_time_and_keeps_only_newer_notifications(fake_platform):
    items = notifications(*(stamp(40 - index) for index in range(13)))
    fake_platform.script("POST", CREATE_SESSION, Reply(json=session()))
    fake_platform.script("GET", NOTIFICATIONS, Reply(json={"cursor": "older", "notifications": items}))

    result = connector(fake_platform.url).fetch_since({"notifications_since": stamp(35)})

    assert len(fake_platform.received("GET", NOTIFICATIONS)) == 1  # the page already reached the boundary
    assert [mention.text for mention in result.mentions] == ["@alice.bluesky.xyz is the best"]
    assert result.next_cursor == {"notifications_since": stamp(40)}


def test_an_expired_access_token_is_refreshed_once_and_the_call_repeated(fake_platform):
    fake_platform.script("POST", CREATE_SESSION, Reply(json=session()))
    fake_platform.script("POST", REFRESH_SESSION, Reply(json=session("access-2", "refresh-2")))
    fake_platform.script(
        "GET",
        NOTIFICATIONS,
        Reply(status=400, json={"error": "ExpiredToken", "message": "Token has expired"}),
        Reply(json={"notifications": notifications(stamp(1))}),
    )

    result = connector(fake_platform.url).fetch_since({})

    refresh = fake_platform.received("POST", REFRESH_SESSION)[0]
    assert refresh.headers["Authorization"] == "Bearer refresh-1"
    assert refresh.body == b""
    calls = fake_platform.received("GET", NOTIFICATIONS)
    assert [call.headers["Authorization"] for call in calls] == ["Bearer access-1", "Bearer access-2"]
    assert len(fake_platform.received("POST", CREATE_SESSION)) == 1
    assert result.next_cursor == {"notifications_since": stamp(1)}


def test_429_waits_until_ratelimit_reset(fake_platform):
    reset = 1_800_000_000
    fake_platform.script("POST", CREATE_SESSION, Reply(json=session()))
    fake_platform.script(
        "GET",
        NOTIFICATIONS,
        Reply(
            status=429,
            json={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            headers={"RateLimit-Limit": "3000", "RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)},
        ),
    )

    with pytest.raises(RateLimited) as raised:
        connector(fake_platform.url).fetch_since({})

    assert raised.value.retry_at == datetime.fromtimestamp(reset, tz=UTC)


def test_malformed_notifications_become_dead_letters_and_the_rest_is_stored(fake_platform):
    good = notifications(stamp(3), stamp(2), stamp(1))[2]  # the mention
    no_text = copy.deepcopy(good) | {"uri": "at://did:plc:x/app.bsky.feed.post/1", "indexedAt": stamp(4)}
    no_text["record"] = {"$type": "app.bsky.feed.post", "createdAt": stamp(4)}
    no_author = copy.deepcopy(good) | {"uri": "at://did:plc:x/app.bsky.feed.post/2", "author": None}
    fake_platform.script("POST", CREATE_SESSION, Reply(json=session()))
    fake_platform.script("GET", NOTIFICATIONS, Reply(json={"notifications": [no_text, "junk", no_author, good]}))
    channel = Channel.objects.create(
        name="Bluesky Telco",
        kind="bluesky",
        base_url=fake_platform.url,
        credentials_encrypted=credentials_encrypt(CREDENTIALS),
    )

    report = channel_poll(channel_id=channel.pk)

    assert report.created == 1
    assert Mention.objects.get().text == "@alice.bluesky.xyz is the best"
    reasons = sorted(DeadLetter.objects.values_list("reason", flat=True))
    assert len(reasons) == 3
    assert any("record.text" in reason for reason in reasons)
    assert any("author.did" in reason for reason in reasons)
    channel.refresh_from_db()
    assert channel.cursor == {"notifications_since": stamp(4)}


def test_search_adds_posts_naming_the_brand_since_the_last_search(fake_platform):
    posts = copy.deepcopy(load("posts.json"))
    for index, post in enumerate(posts):
        post["indexedAt"] = stamp(50 - index)
    fake_platform.script("POST", CREATE_SESSION, Reply(json=session()))
    fake_platform.script("GET", NOTIFICATIONS, Reply(json={"notifications": []}))
    fake_platform.script("GET", SEARCH, Reply(json={"posts": posts, "hitsTotal": len(posts)}))

    result = connector(fake_platform.url, search_query="telco").fetch_since({"search_since": stamp(10)})

    search = fake_platform.received("GET", SEARCH)[0]
    assert search.query == {"q": ["telco"], "sort": ["latest"], "limit": ["50"], "since": [stamp(10)]}
    assert [mention.text for mention in result.mentions][:2] == ["hey there", "again"]
    assert len(result.mentions) == 6
    assert result.next_cursor == {"search_since": stamp(50)}


def test_a_reply_names_the_thread_root_and_the_parent_with_uri_and_cid(fake_platform):
    parent = load("posts.json")[5]  # "thanks bob", itself a reply
    created = load("create_record_response.json")
    fake_platform.script("POST", CREATE_SESSION, Reply(json=session()))
    fake_platform.script("GET", GET_POSTS, Reply(json={"posts": [parent]}))
    fake_platform.script("POST", CREATE_RECORD, Reply(json=created))

    uri = connector(fake_platform.url).publish_reply(in_reply_to=parent["uri"], text="Ya está resuelto.\n— Ana")

    assert uri == created["uri"]
    assert fake_platform.received("GET", GET_POSTS)[0].query == {"uris": [parent["uri"]]}
    sent = fake_platform.received("POST", CREATE_RECORD)[0]
    assert sent.headers["Authorization"] == "Bearer access-1"
    body = sent.json()
    created_at = body["record"].pop("createdAt")
    assert created_at.endswith("Z")
    assert body == {
        "repo": DID,
        "collection": "app.bsky.feed.post",
        "record": {
            "$type": "app.bsky.feed.post",
            "text": "Ya está resuelto.\n— Ana",
            "reply": {
                "root": parent["record"]["reply"]["root"],
                "parent": {"uri": parent["uri"], "cid": parent["cid"]},
            },
        },
    }


def test_a_reply_to_a_top_level_post_uses_it_as_root_and_parent(fake_platform):
    documented = load("reply_record.json")["reply"]["parent"]  # the docs' real uri + cid
    parent = copy.deepcopy(load("posts.json")[0]) | documented
    fake_platform.script("POST", CREATE_SESSION, Reply(json=session()))
    fake_platform.script("GET", GET_POSTS, Reply(json={"posts": [parent]}))
    fake_platform.script("POST", CREATE_RECORD, Reply(json=load("create_record_response.json")))

    connector(fake_platform.url).publish_reply(in_reply_to=documented["uri"], text="Gracias")

    reply = fake_platform.received("POST", CREATE_RECORD)[0].json()["record"]["reply"]
    assert reply == {"root": documented, "parent": documented}


def test_post_urls_capabilities_and_the_length_limit():
    uri = load("create_record_response.json")["uri"]
    assert post_url(uri) == "https://bsky.app/profile/did:plc:u5cwb2mwiv2bfq53cjufe6yn/post/3k4duaz5vfs2b"
    assert post_url("record(0)") == ""
    capabilities = capabilities_for("bluesky")
    assert (capabilities.reply, capabilities.hide, capabilities.max_length) == (True, False, 300)


def test_the_next_poll_reuses_the_session_instead_of_logging_in_again(fake_platform):
    fake_platform.script("POST", CREATE_SESSION, Reply(json=session()))
    fake_platform.script("GET", NOTIFICATIONS, Reply(json={"notifications": []}))

    connector(fake_platform.url).fetch_since({})
    connector(fake_platform.url).fetch_since({})

    assert len(fake_platform.received("POST", CREATE_SESSION)) == 1
    assert [call.headers["Authorization"] for call in fake_platform.received("GET", NOTIFICATIONS)] == [
        "Bearer access-1",
        "Bearer access-1",
    ]


def test_a_page_of_likes_reposts_and_follows_holds_no_mention_and_no_dead_letter():
    page = load("notifications_default_priority.json")  # the whole recorded listNotifications output

    result = BlueskyConnector().parse_payload(page)

    assert {item["reason"] for item in page["notifications"]} == {
        "like",
        "follow",
        "like-via-repost",
        "repost-via-repost",
    }
    assert (result.mentions, result.rejected) == ([], [])
