"""Accounts on the networks: X user tokens that refresh, Mastodon replies that reach their author,
the brand's own posts never stored as mentions, and Meta comments polled as well as pushed."""

from __future__ import annotations

import base64
import json
import time

import pytest

from inbox.connectors import capabilities_for, connector_for
from inbox.connectors.base import ConnectorError, Unauthorized
from inbox.connectors.mastodon import MastodonConnector, addressed, reply_visibility
from inbox.connectors.meta import FacebookConnector
from inbox.connectors.x import XConnector
from inbox.credentials import credentials_decrypt, credentials_encrypt
from inbox.models import Channel, Mention
from inbox.services import channel_poll, channels_claim_due, mentions_ingest
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

CREATED = Reply(status=201, json={"data": {"id": "1900", "text": "..."}})
TOKEN_PATH = "/2/oauth2/token"


def x_channel(url: str, **credentials) -> Channel:
    return Channel.objects.create(
        name="X",
        kind="x",
        base_url=url,
        config={"user_id": "42"},
        credentials_encrypted=credentials_encrypt({"bearer_token": "app-bearer"} | credentials),
    )


def user_credentials(expires_in: int) -> dict:
    return {
        "user_access_token": "old-user-token",
        "refresh_token": "refresh-1",
        "user_token_expires_at": int(time.time()) + expires_in,
        "client_id": "client-abc",
        "client_secret": "shh",
    }


def refreshed(access: str = "new-user-token", refresh: str = "refresh-2") -> Reply:
    return Reply(
        json={
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": access,
            "scope": "tweet.read tweet.write users.read offline.access",
            "refresh_token": refresh,
        }
    )


def test_x_reply_uses_the_user_token_not_the_app_bearer(fake_platform):
    fake_platform.script("POST", "/2/tweets", CREATED)
    channel = x_channel(fake_platform.url, **user_credentials(expires_in=3600))

    assert connector_for(channel).publish_reply(in_reply_to="1500", text="Lo vemos.") == "1900"

    sent = fake_platform.received("POST", "/2/tweets")[0]
    assert sent.headers["Authorization"] == "Bearer old-user-token"
    assert sent.json() == {"text": "Lo vemos.", "reply": {"in_reply_to_tweet_id": "1500"}}
    assert fake_platform.received("POST", TOKEN_PATH) == []


def test_x_user_token_is_refreshed_before_it_expires_and_stored_encrypted(fake_platform):
    fake_platform.script("POST", TOKEN_PATH, refreshed())
    fake_platform.script("POST", "/2/tweets", CREATED)
    channel = x_channel(fake_platform.url, **user_credentials(expires_in=60))  # inside the 5-minute margin

    connector_for(channel).publish_reply(in_reply_to="1500", text="Lo vemos.")

    token_call = fake_platform.received("POST", TOKEN_PATH)[0]
    assert token_call.headers["Authorization"] == "Basic " + base64.b64encode(b"client-abc:shh").decode()
    assert token_call.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert token_call.form() == {"grant_type": ["refresh_token"], "refresh_token": ["refresh-1"]}
    assert fake_platform.received("POST", "/2/tweets")[0].headers["Authorization"] == "Bearer new-user-token"
    channel.refresh_from_db()
    stored = credentials_decrypt(channel.credentials_encrypted)
    assert "new-user-token" not in channel.credentials_encrypted
    assert stored["user_access_token"] == "new-user-token"
    assert stored["refresh_token"] == "refresh-2"
    assert stored["user_token_expires_at"] >= int(time.time()) + 7100
    assert stored["bearer_token"] == "app-bearer"  # reads keep the app's token


def test_a_public_client_sends_its_client_id_in_the_body(fake_platform):
    fake_platform.script("POST", TOKEN_PATH, refreshed())
    fake_platform.script("POST", "/2/tweets", CREATED)
    credentials = user_credentials(expires_in=0)
    del credentials["client_secret"]
    XConnector(base_url=fake_platform.url, credentials=credentials).publish_reply(in_reply_to="1", text="x")

    token_call = fake_platform.received("POST", TOKEN_PATH)[0]
    assert "Authorization" not in token_call.headers
    assert token_call.form()["client_id"] == ["client-abc"]


def test_a_401_refreshes_once_and_retries(fake_platform):
    fake_platform.script("POST", TOKEN_PATH, refreshed())
    fake_platform.script("POST", "/2/tweets", Reply(status=401, json={"title": "Unauthorized"}), CREATED)
    channel = x_channel(fake_platform.url, **user_credentials(expires_in=3600))

    assert connector_for(channel).publish_reply(in_reply_to="1500", text="Hola") == "1900"

    auths = [r.headers["Authorization"] for r in fake_platform.received("POST", "/2/tweets")]
    assert auths == ["Bearer old-user-token", "Bearer new-user-token"]
    assert len(fake_platform.received("POST", TOKEN_PATH)) == 1


def test_a_second_401_is_not_retried_again(fake_platform):
    fake_platform.script("POST", TOKEN_PATH, refreshed())
    fake_platform.script("POST", "/2/tweets", Reply(status=401, json={"title": "Unauthorized"}))
    connector = XConnector(base_url=fake_platform.url, credentials=user_credentials(expires_in=3600))

    with pytest.raises(Unauthorized):
        connector.publish_reply(in_reply_to="1", text="x")
    assert len(fake_platform.received("POST", "/2/tweets")) == 2


def test_a_refused_refresh_says_to_connect_again(fake_platform):
    fake_platform.script(
        "POST",
        TOKEN_PATH,
        Reply(
            status=400,
            json={"error": "invalid_request", "error_description": "Value passed for the token was invalid."},
        ),
    )
    connector = XConnector(base_url=fake_platform.url, credentials=user_credentials(expires_in=0))
    with pytest.raises(ConnectorError, match="connect the account again"):
        connector.publish_reply(in_reply_to="1", text="x")
    assert fake_platform.received("POST", "/2/tweets") == []


def test_a_token_already_refreshed_by_another_worker_is_used_as_stored(fake_platform):
    fake_platform.script("POST", "/2/tweets", CREATED)
    channel = x_channel(fake_platform.url, **user_credentials(expires_in=10))
    connector = connector_for(channel)  # read the expiring token
    fresh = user_credentials(expires_in=7200) | {"user_access_token": "other-worker-token"}
    channel.credentials_encrypted = credentials_encrypt({"bearer_token": "app-bearer"} | fresh)
    channel.save(update_fields=["credentials_encrypted"])

    connector.publish_reply(in_reply_to="1", text="x")

    assert fake_platform.received("POST", TOKEN_PATH) == []
    assert fake_platform.received("POST", "/2/tweets")[0].headers["Authorization"] == "Bearer other-worker-token"


@pytest.mark.parametrize(
    ("original", "public", "expected"),
    [
        ("direct", "public", "direct"),
        ("private", "public", "private"),
        ("unlisted", "public", "unlisted"),
        ("public", "public", "public"),
        ("public", "unlisted", "unlisted"),
        ("local", "public", "direct"),
    ],
)
def test_mastodon_reply_visibility_never_exceeds_the_original(original, public, expected):
    assert reply_visibility(original, public=public) == expected


def test_mastodon_reply_mentions_the_author_unless_already_named():
    assert addressed("Ya está.", "lucia@mastodon.social") == "@lucia@mastodon.social Ya está."
    assert addressed("Hola @Lucia@Mastodon.social, ya está.", "lucia@mastodon.social").startswith("Hola")
    assert addressed("Hola @lucia.", "lucia") == "Hola @lucia."
    assert addressed("cc @luciana", "lucia") == "@lucia cc @luciana"


def test_mastodon_reply_context_comes_from_the_ingested_raw(fake_platform, shared_dir):
    notification = json.loads((shared_dir / "realdata/mastodon/notifications_mentions__Mastodon.py.json").read_text())
    status = dict(notification[0]["status"], visibility="direct")
    connector = MastodonConnector(base_url=fake_platform.url, credentials={"access_token": "t"})
    mention = connector.parse_payload([status]).mentions[0]
    fake_platform.script("POST", "/api/v1/statuses", Reply(json={"id": "9002"}))

    context = connector.reply_context(raw=mention.raw, author_handle=mention.author.handle)
    assert context == {"author_handle": "admin", "visibility": "direct"}
    assert connector.publish_reply(in_reply_to=mention.external_id, text="Te escribo", context=context) == "9002"

    sent = fake_platform.received("POST", "/api/v1/statuses")[0]
    assert sent.headers["Authorization"] == "Bearer t"
    assert sent.json() == {"status": "@admin Te escribo", "in_reply_to_id": mention.external_id, "visibility": "direct"}


def test_mastodon_reply_without_context_reads_the_original_first(fake_platform, shared_dir):
    status = json.loads((shared_dir / "realdata/mastodon/status_reply_in_reply_to__Mastodon.py.json").read_text())
    status = dict(status, visibility="private")
    fake_platform.script("GET", f"/api/v1/statuses/{status['id']}", Reply(json=status))
    fake_platform.script("POST", "/api/v1/statuses", Reply(json={"id": "9003"}))

    MastodonConnector(base_url=fake_platform.url, credentials={"access_token": "t"}).publish_reply(
        in_reply_to=status["id"], text="Gracias"
    )

    sent = fake_platform.received("POST", "/api/v1/statuses")[0].json()
    assert sent["visibility"] == "private"
    assert sent["status"] == f"@{status['account']['acct']} Gracias"


def test_the_brands_own_reply_is_not_stored_as_a_mention(fake_platform):
    channel = Channel.objects.create(name="X", kind="x", config={"user_id": "42", "own_handles": ["@TelcoAyuda"]})
    payload = {
        "data": [
            {"id": "10", "text": "@Telco sin línea", "author_id": "7", "created_at": "2026-03-02T10:00:00Z"},
            {"id": "11", "text": "@lucia lo miramos", "author_id": "42", "created_at": "2026-03-02T10:01:00Z"},
            {"id": "12", "text": "@lucia ya está", "author_id": "43", "created_at": "2026-03-02T10:02:00Z"},
        ],
        "includes": {
            "users": [
                {"id": "7", "username": "lucia"},
                {"id": "42", "username": "Telco"},
                {"id": "43", "username": "telcoayuda"},
            ]
        },
    }
    result = XConnector().parse_payload(payload)

    report = mentions_ingest(channel=channel, mentions=result.mentions)

    assert (report.created, report.own) == (1, 2)
    assert list(Mention.objects.values_list("external_id", flat=True)) == ["10"]


def test_the_pages_own_comment_from_a_webhook_is_not_stored():
    channel = Channel.objects.create(name="FB", kind="facebook", config={"page_id": "111"})
    body = {
        "object": "page",
        "entry": [
            {
                "id": "111",
                "time": 1767261600,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": "222_1",
                            "post_id": "111_222",
                            "from": {"id": "111", "name": "Telco"},
                            "message": "Te escribimos por privado",
                            "created_time": 1767261600,
                        },
                    }
                ],
            }
        ],
    }
    result = FacebookConnector(config=channel.config).parse_payload(body)

    report = mentions_ingest(channel=channel, mentions=result.mentions)

    assert (report.created, report.own) == (0, 1)


def page_posts(comments: list[dict]) -> dict:
    return {
        "data": [
            {"id": "19292868552_10158407654328553", "comments": {"data": comments}},
            {"id": "19292868552_1", "permalink_url": "https://www.facebook.com/x"},
        ]
    }


def test_meta_polls_the_pages_recent_posts_comments(fake_platform, shared_dir):
    rows = json.loads(
        (shared_dir / "realdata/meta_webhooks/graph_api_page_post_comments_p1__python-facebook.json").read_text()
    )["data"]
    rows = [dict(row, id=f"10158407654328553_{n}") for n, row in enumerate(rows)]
    rows[0]["from"] = {"id": "19292868552", "name": "Facebook for Developers"}  # the page answering
    fake_platform.script("GET", "/19292868552/posts", Reply(json=page_posts(rows)))
    channel = Channel.objects.create(
        name="FB",
        kind="facebook",
        base_url=fake_platform.url,
        config={"page_id": "19292868552"},
        credentials_encrypted=credentials_encrypt({"access_token": "page-token"}),
    )
    assert channel.pk in channels_claim_due()
    assert connector_for(channel).capabilities.fetch is True
    assert capabilities_for("facebook").fetch is False  # without a page id it only receives webhooks

    first = channel_poll(channel_id=channel.pk)
    Channel.objects.filter(pk=channel.pk).update(next_poll_at=None)
    second = channel_poll(channel_id=channel.pk)

    sent = fake_platform.received("GET", "/19292868552/posts")[0]
    assert sent.query["access_token"] == ["page-token"]
    assert sent.query["limit"] == ["10"]
    assert sent.query["fields"][0].startswith("id,permalink_url,comments.filter(stream)")
    assert first is not None and (first.created, first.own) == (len(rows) - 1, 1)
    assert second is not None and (second.created, second.duplicates) == (0, len(rows) - 1)
    mention = Mention.objects.get(external_id="10158407654328553_1")
    assert mention.conversation_id == "19292868552_10158407654328553"
    assert "Instagram" in mention.text


def test_a_facebook_channel_without_page_id_is_still_push_only():
    channel = Channel.objects.create(name="FB2", kind="facebook", config={})
    assert channel.pk not in channels_claim_due()


def test_instagram_polls_its_recent_media_comments(fake_platform, shared_dir):
    comments = json.loads(
        (shared_dir / "realdata/meta_webhooks/graph_api_ig_media_comments_p1__python-facebook.json").read_text()
    )
    fake_platform.script(
        "GET", "/1784/media", Reply(json={"data": [{"id": "17846368219941692", "comments": comments}]})
    )
    channel = Channel.objects.create(
        name="IG",
        kind="instagram",
        base_url=fake_platform.url,
        config={"ig_user_id": "1784"},
        credentials_encrypted=credentials_encrypt({"access_token": "ig-token"}),
    )
    assert channel.pk in channels_claim_due()

    report = channel_poll(channel_id=channel.pk)

    sent = fake_platform.received("GET", "/1784/media")[0]
    assert sent.query["access_token"] == ["ig-token"]
    assert sent.query["fields"] == ["id,permalink,comments.limit(50){id,text,timestamp,username,from,parent_id}"]
    assert report is not None and report.created == len(comments["data"])
    assert set(Mention.objects.values_list("conversation_id", flat=True)) == {"17846368219941692"}
