"""The Discourse connector against a fake forum (httpx.MockTransport) and its signed webhook endpoint.

Payloads are the official discourse_api gem's fixtures (tests/inbox/fixtures/discourse/README.md).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from django.test import Client, TestCase

from inbox.connectors import capabilities_for
from inbox.connectors.base import ConnectorError, RateLimited
from inbox.connectors.discourse import DiscourseConnector
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, DeadLetter, Intake, Mention

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "discourse"
FORUM = "https://forum.telco.example"
SECRET = "discourse-webhook-secret"
CREDENTIALS = {"api_key": "k-123", "api_username": "telco_support", "webhook_secret": SECRET}


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


class FakeForum:
    """Answers (method, path) with scripted replies in order (the last repeats) and keeps every request."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[httpx.Response]] = {}
        self.requests: list[httpx.Request] = []

    def script(self, method: str, path: str, *responses: httpx.Response) -> None:
        self.routes[(method, path)] = list(responses)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.routes.get((request.method, request.url.path))
        if not queue:
            return httpx.Response(404, json={"errors": ["not found"]})
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def connector(self, credentials: dict | None = None) -> DiscourseConnector:
        http = httpx.Client(transport=httpx.MockTransport(self.handle))
        return DiscourseConnector(base_url=FORUM, credentials=credentials or CREDENTIALS, http=http)


@pytest.fixture
def forum() -> FakeForum:
    return FakeForum()


def assert_authenticated(request: httpx.Request) -> None:
    assert request.headers["Api-Key"] == "k-123"
    assert request.headers["Api-Username"] == "telco_support"


def test_a_later_poll_keeps_posts_above_the_stored_id_from_one_page(forum):
    forum.script("GET", "/posts.json", httpx.Response(200, json=load("posts_latest.json")))

    result = forum.connector().fetch_since({"last_id": 10})

    (request,) = forum.requests
    assert_authenticated(request)
    assert request.url.params.multi_items() == []
    assert [mention.external_id for mention in result.mentions] == ["15", "14"]
    assert result.next_cursor == {"last_id": 15}
    first_post = result.mentions[1]  # post_number 1: the topic's title leads its text
    assert first_post.text == "This is an uncategorized title\n\nhi there. hi there. hi there."
    assert first_post.conversation_id == "topic:11"
    assert first_post.url == f"{FORUM}/t/this-is-an-uncategorized-title/11/1"


def test_older_pages_are_read_through_before_until_the_stored_id(forum):
    latest = load("posts_latest.json")["latest_posts"]
    older = [post for post in load("posts_before.json")["latest_posts"] if post["id"] < 14]
    forum.script(
        "GET",
        "/posts.json",
        httpx.Response(200, json={"latest_posts": latest[:2]}),
        httpx.Response(200, json={"latest_posts": older}),
    )

    result = forum.connector().fetch_since({"last_id": 5})

    assert [request.url.params.get("before") for request in forum.requests] == [None, "13"]
    assert [mention.external_id for mention in result.mentions] == ["15", "14", "10"]
    assert result.mentions[2].author.external_id == "-1"  # the forum's system user
    assert result.next_cursor == {"last_id": 15}


def test_the_first_poll_reads_one_page_only(forum):
    forum.script("GET", "/posts.json", httpx.Response(200, json=load("posts_latest.json")))

    result = forum.connector().fetch_since({})

    assert len(forum.requests) == 1
    assert len(result.mentions) == 4
    assert result.next_cursor == {"last_id": 15}


def test_broken_posts_become_dead_letters_small_actions_and_our_own_posts_are_skipped():
    good, *_ = load("posts_latest.json")["latest_posts"]
    no_text = copy.deepcopy(good) | {"id": 90, "cooked": "", "raw": ""}
    bad_date = copy.deepcopy(good) | {"id": 91, "created_at": "yesterday"}
    small_action = copy.deepcopy(good) | {"id": 92, "post_type": 3}
    ours = copy.deepcopy(good) | {"id": 93, "username": "Telco_Support"}

    result = DiscourseConnector(credentials=CREDENTIALS).parse_payload(
        [no_text, "junk", bad_date, small_action, ours, good]
    )

    assert [mention.external_id for mention in result.mentions] == ["15"]
    assert len(result.rejected) == 3


def test_reply_reads_the_post_then_posts_to_its_topic_with_reply_to_post_number(forum):
    parent = load("post.json")
    forum.script("GET", "/posts/11.json", httpx.Response(200, json=parent))
    forum.script("POST", "/posts.json", httpx.Response(200, json=copy.deepcopy(parent) | {"id": 16}))

    external_id = forum.connector().publish_reply(in_reply_to="11", text="Ya está resuelto.\n— Ana")

    read, write = forum.requests
    assert (read.method, read.url.path) == ("GET", "/posts/11.json")
    assert (write.method, write.url.path) == ("POST", "/posts.json")
    assert_authenticated(write)
    assert json.loads(write.content) == {
        "topic_id": 8,
        "raw": "Ya está resuelto.\n— Ana",
        "reply_to_post_number": 1,
    }
    assert external_id == "16"


def test_hide_flags_with_take_action_and_unhide_puts_unhide(forum):
    forum.script("POST", "/post_actions", httpx.Response(200, json=load("post.json")))
    forum.script("PUT", "/posts/11/unhide", httpx.Response(200, json={"success": "OK"}))
    connector = forum.connector()

    connector.hide(external_id="11", hidden=True)
    connector.hide(external_id="11", hidden=False)

    flag, unhide = forum.requests
    assert (flag.method, flag.url.path) == ("POST", "/post_actions")
    assert_authenticated(flag)
    assert parse_qs(flag.content.decode()) == {
        "id": ["11"],
        "post_action_type_id": ["4"],
        "flag_topic": ["false"],
        "take_action": ["true"],
    }
    assert (unhide.method, unhide.url.path) == ("PUT", "/posts/11/unhide")
    assert_authenticated(unhide)
    with pytest.raises(ConnectorError, match="is a number"):
        connector.hide(external_id="at://not-a-post")


def test_429_is_rate_limited_until_retry_after(forum):
    forum.script(
        "GET",
        "/posts.json",
        httpx.Response(
            429,
            json={"errors": ["You’ve performed this action too many times."], "error_type": "rate_limit"},
            headers={"Retry-After": "40", "Discourse-Rate-Limit-Error-Code": "admin_api_key_rate_limit"},
        ),
    )
    before = datetime.now(tz=UTC)

    with pytest.raises(RateLimited) as raised:
        forum.connector().fetch_since({"last_id": 1})

    assert 39 <= (raised.value.retry_at - before).total_seconds() <= 45


# The webhook ---------------------------------------------------------------------------------


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def forum_channel() -> Channel:
    return Channel.objects.create(
        name="Foro Telco", kind="discourse", base_url=FORUM, credentials_encrypted=credentials_encrypt(CREDENTIALS)
    )


def deliver(channel: Channel, body: bytes, *, event: str = "post_created", signature: str | None = None):
    headers = {"HTTP_X_DISCOURSE_EVENT": event, "HTTP_X_DISCOURSE_EVENT_TYPE": "post"}
    if signature is not None:
        headers["HTTP_X_DISCOURSE_EVENT_SIGNATURE"] = signature
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client(enforce_csrf_checks=True).post(
            f"/hooks/discourse/{channel.pk}/", data=body, content_type="application/json", **headers
        )


def test_a_signed_post_created_event_is_kept_and_ingested(forum_channel):
    body = json.dumps({"post": load("posts_latest.json")["latest_posts"][0]}).encode()

    response = deliver(forum_channel, body, signature=sign(body))

    assert response.status_code == 202
    assert Intake.objects.get().processed_at is not None
    mention = Mention.objects.select_related("author").get()
    assert (mention.external_id, mention.author.handle) == ("15", "johndoe")
    assert mention.conversation_id == "topic:11"


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, "right hex, wrong scheme"])
def test_a_missing_or_wrong_signature_is_refused_and_nothing_kept(forum_channel, signature):
    body = json.dumps({"post": load("post.json")}).encode()
    if signature == "right hex, wrong scheme":
        signature = "sha1=" + sign(body).removeprefix("sha256=")

    response = deliver(forum_channel, body, signature=signature)

    assert response.status_code == 403
    assert (Intake.objects.count(), Mention.objects.count(), DeadLetter.objects.count()) == (0, 0, 0)


def test_events_other_than_posts_are_acknowledged_and_dropped(forum_channel):
    body = b'{"ping": "OK"}'

    response = deliver(forum_channel, body, event="ping", signature=sign(body))

    assert response.status_code == 200
    assert response.json() == {"ignored": "ping"}
    assert Intake.objects.count() == 0


def test_capabilities():
    capabilities = capabilities_for("discourse")
    assert (capabilities.webhook, capabilities.reply, capabilities.hide, capabilities.max_length) == (
        True,
        True,
        True,
        32_000,
    )
