"""The Threads connector against a local fake graph.threads.net, driven by Meta's documented examples.

Mentions and the conversations of the brand's posts, a reply as a container then a publish, hiding with
manage_reply, the long-lived token's refresh, Meta's throttling, and the webhooks at the Meta route.
Fixtures and their sources: tests/inbox/fixtures/threads/README.md.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

from inbox.connectors import capabilities_for
from inbox.connectors.base import RateLimited
from inbox.connectors.threads import ThreadsConnector
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, DeadLetter, Intake, Mention
from inbox.reply_length import reply_limit
from inbox.services import channel_poll
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "threads"
USER = "1234567"  # the account of me.json and user_threads.json
MENTIONS = f"/{USER}/mentions"
OWN_POSTS = f"/{USER}/threads"
CONVERSATION = f"/{USER}/conversation"  # user_threads.json's only post has the user's id as its id
ACCESS = "th-" + "a" * 20
CONFIG = {"threads_user_id": USER, "username": "threadsapitestuser"}


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def credentials(**extra) -> dict:
    return {"access_token": ACCESS, "token_expires_at": int(time.time()) + 50 * 24 * 3600} | extra


def connector(url: str, **kwargs) -> ThreadsConnector:
    return ThreadsConnector(base_url=url, config=CONFIG, credentials=kwargs.pop("credentials", credentials()), **kwargs)


def conversation() -> dict:
    """Meta's example conversation, each reply given its own id and minute (the example repeats one of each)."""
    page = copy.deepcopy(load("conversation.json"))
    for index, reply in enumerate(page["data"]):
        reply["id"] = f"1790000000000{index}"
        reply["timestamp"] = f"2024-01-01T18:2{index}:00+0000"
        reply["username"] = f"customer_{index}"
    return page


def mentions_page() -> dict:
    """A mentions page made of the webhook's mention object (the Mentions page prints only a placeholder)."""
    return {"data": [load("webhook_mentions.json")["values"]["value"]]}


def script_poll(fake, *, conversation_page: dict | None = None) -> None:
    fake.script("GET", MENTIONS, Reply(json=mentions_page()))
    fake.script("GET", OWN_POSTS, Reply(json=load("user_threads.json")))
    fake.script("GET", CONVERSATION, Reply(json=conversation_page or conversation()))


def test_a_poll_reads_the_mentions_and_the_conversations_of_the_brands_posts(fake_platform):
    page = conversation()
    page["data"][3]["is_reply_owned_by_me"] = True  # the brand answered in its own thread
    script_poll(fake_platform, conversation_page=page)

    result = connector(fake_platform.url).fetch_since({})

    mentions, posts, replies = fake_platform.requests
    assert [(r.method, r.path) for r in (mentions, posts, replies)] == [
        ("GET", MENTIONS), ("GET", OWN_POSTS), ("GET", CONVERSATION),
    ]
    assert all(r.headers["Authorization"] == f"Bearer {ACCESS}" for r in fake_platform.requests)
    assert all("access_token" not in r.query for r in fake_platform.requests)  # never in a URL
    assert "since" not in mentions.query and mentions.query["fields"][0].startswith("id,text,username")
    assert posts.query == {"fields": ["id,timestamp"], "limit": ["10"]} and replies.query["reverse"] == ["true"]
    assert [m.external_id for m in result.mentions] == ["8901234", "17900000000000", "17900000000001", "17900000000002"]
    mention, first = result.mentions[0], result.mentions[1]
    assert (mention.text, mention.author.handle, mention.url) == (
        "Reply", "test_username", "https://www.threads.net/@test_username/post/Pp",
    )
    assert (first.text, first.conversation_id, first.in_reply_to_external_id) == (
        "First Reply", "1234567890", "1234567890",
    )
    assert result.next_cursor == {"since": "2024-08-07T10:33:16+00:00"}


def test_a_later_poll_asks_mentions_since_the_cursor_and_keeps_only_newer_replies(fake_platform):
    script_poll(fake_platform)

    result = connector(fake_platform.url).fetch_since({"since": "2024-01-01T18:21:30+00:00"})

    assert fake_platform.received("GET", MENTIONS)[0].query["since"] == ["1704133290"]
    assert [m.text for m in result.mentions] == ["Reply", "Third Reply", "Nested Reply"]


def test_a_reply_is_a_text_container_then_published(fake_platform):
    fake_platform.script("POST", OWN_POSTS, Reply(json=load("create_container_response.json")))
    fake_platform.script("POST", f"/{USER}/threads_publish", Reply(json=load("publish_response.json")))

    published = connector(fake_platform.url).publish_reply(in_reply_to="8901234", text="Lo miramos ya. — Ana")

    container, publish = fake_platform.requests
    assert container.form() == {"media_type": ["TEXT"], "text": ["Lo miramos ya. — Ana"], "reply_to_id": ["8901234"]}
    assert publish.form() == {"creation_id": ["1234567890"]}
    assert container.headers["Authorization"] == publish.headers["Authorization"] == f"Bearer {ACCESS}"
    assert published == "1234567"


def test_hide_and_unhide_go_through_manage_reply(fake_platform):
    fake_platform.script("POST", "/17900000000001/manage_reply", Reply(json=load("manage_reply_response.json")))
    threads = connector(fake_platform.url)

    threads.hide(external_id="17900000000001", hidden=True)
    threads.hide(external_id="17900000000001", hidden=False)

    hidden, shown = fake_platform.received("POST", "/17900000000001/manage_reply")
    assert (hidden.form(), shown.form()) == ({"hide": ["true"]}, {"hide": ["false"]})
    assert hidden.headers["Authorization"] == f"Bearer {ACCESS}"


def test_a_token_close_to_expiry_is_refreshed_and_stored_before_the_call(fake_platform):
    fake_platform.script("GET", "/refresh_access_token", Reply(json=load("long_lived_token.json")))
    fake_platform.script("POST", "/17900000000001/manage_reply", Reply(json=load("manage_reply_response.json")))
    stored: dict = credentials(token_expires_at=int(time.time()) + 2 * 24 * 3600)

    def store(update):
        stored.update(update(dict(stored)))
        return dict(stored)

    connector(fake_platform.url, credentials=dict(stored), credentials_store=store).hide(external_id="17900000000001")

    refresh, hide = fake_platform.requests
    assert (refresh.method, refresh.path) == ("GET", "/refresh_access_token")
    assert refresh.query == {"grant_type": ["th_refresh_token"], "access_token": [ACCESS]}
    assert hide.headers["Authorization"] == "Bearer THQVJ..."
    assert stored["access_token"] == "THQVJ..." and stored["token_expires_at"] >= int(time.time()) + 5183944 - 5


def test_a_fresh_token_is_not_refreshed(fake_platform):
    fake_platform.script("POST", "/1/manage_reply", Reply(json=load("manage_reply_response.json")))
    connector(fake_platform.url).hide(external_id="1")
    assert [r.path for r in fake_platform.requests] == ["/1/manage_reply"]


def test_meta_throttling_codes_are_rate_limits_and_a_spent_quota_stops_the_poll(fake_platform):
    throttled = {"error": {"message": "(#4) Application request limit reached", "type": "OAuthException",
                           "is_transient": True, "code": 4, "fbtrace_id": "A1b2C3"}}
    fake_platform.script("GET", MENTIONS, Reply(status=400, json=throttled))
    with pytest.raises(RateLimited):
        connector(fake_platform.url).fetch_since({})

    usage = {"X-App-Usage": json.dumps({"call_count": 97, "total_cputime": 10, "total_time": 12})}
    fake_platform.script("GET", MENTIONS, Reply(json=mentions_page(), headers=usage))
    fake_platform.script("GET", OWN_POSTS, Reply(json=load("user_threads.json")))
    spent = connector(fake_platform.url)
    result = spent.fetch_since({})
    assert spent.backoff_until is not None
    assert fake_platform.received("GET", CONVERSATION) == []  # no call after the quota said stop
    assert len(result.mentions) == 1


def test_a_saved_replies_list_keeps_each_replys_hide_status():
    page = copy.deepcopy(load("replies.json"))
    for index, reply in enumerate(page["data"]):
        reply["id"] = f"1790000000001{index}"

    result = ThreadsConnector().parse_payload(page)

    assert [m.raw["hide_status"] for m in result.mentions] == ["NOT_HUSHED", "HIDDEN", "UNHUSHED"]
    assert all(m.author.external_id.startswith("unknown:threads:") for m in result.mentions)  # no username asked


def test_webhook_replies_and_mentions_are_mentions_and_the_brands_own_posts_are_not():
    threads = ThreadsConnector(config=CONFIG)

    result = threads.parse_payload([load("webhook_replies.json"), load("webhook_mentions.json"),
                                    load("webhook_publish.json")])

    reply, mention = result.mentions
    assert (reply.external_id, reply.in_reply_to_external_id, reply.conversation_id) == ("8901234", "567890", "123456")
    assert mention.author.handle == "test_username"
    assert result.rejected == []


def test_malformed_items_are_dead_letters_the_brands_replies_are_skipped_and_the_rest_stored(fake_platform):
    page = conversation()
    page["data"][0].pop("text")
    page["data"][1]["timestamp"] = "yesterday"
    page["data"][2]["username"] = "ThreadsApiTestUser"  # the brand, answering without the owned flag
    page["data"].append("junk")
    script_poll(fake_platform, conversation_page=page)
    channel = Channel.objects.create(
        name="Threads Telco", kind="threads", base_url=fake_platform.url, config=CONFIG,
        credentials_encrypted=credentials_encrypt(credentials()),
    )

    report = channel_poll(channel_id=channel.pk)

    assert (report.created, report.own, report.rejected) == (2, 1, 3)
    assert sorted(Mention.objects.values_list("text", flat=True)) == ["Nested Reply", "Reply"]
    reasons = " ".join(DeadLetter.objects.values_list("reason", flat=True))
    assert "'text'" in reasons and "'timestamp'" in reasons and "not an object" in reasons


def _signed(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_the_webhook_is_meta_s_handshake_and_signature_with_the_threads_app_secret(client):
    secret, verify = "s" * 32, "v" * 16
    channel = Channel.objects.create(
        name="Threads push", kind="threads",
        credentials_encrypted=credentials_encrypt(credentials(client_secret=secret, verify_token=verify)),
    )
    url = f"/hooks/meta/{channel.pk}/"
    body = (FIXTURES / "webhook_replies.json").read_bytes()

    handshake = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": verify, "hub.challenge": "1158201444"})
    good = client.post(url, data=body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=_signed(body, secret))
    bad = client.post(url, data=body, content_type="application/json",
                      HTTP_X_HUB_SIGNATURE_256=_signed(body, "t" * 32))

    assert (handshake.status_code, handshake.content) == (200, b"1158201444")
    assert good.status_code == 202 and Intake.objects.get().source == "webhook:threads"
    assert bad.status_code == 403 and Intake.objects.count() == 1


def test_capabilities_and_the_composer_limit():
    capabilities = capabilities_for("threads")
    assert (capabilities.reply, capabilities.hide, capabilities.webhook) == (True, True, True)
    assert reply_limit(kind="threads") == 500
