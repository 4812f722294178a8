"""The YouTube comments connector against a fake Data API v3 (httpx.MockTransport).

Payloads are recorded API responses (tests/inbox/fixtures/youtube/README.md): comment threads paged by
`pageToken`, replies, comments.insert, setModerationStatus, the OAuth refresh, quota errors.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import httpx
import pytest

from inbox.connectors import capabilities_for, youtube
from inbox.connectors.base import ConnectorError, RateLimited
from inbox.connectors.youtube import YouTubeConnector

FIXTURES = Path(__file__).parent / "fixtures" / "youtube"
API = "https://www.googleapis.com/youtube/v3"
CHANNEL = "UCa-vrCLQHviTOVnEKDOdetQ"
CREDENTIALS = {"access_token": "ya29.old", "refresh_token": "1//refresh", "client_id": "cid", "client_secret": "cs"}


@pytest.fixture(autouse=True)
def no_kept_tokens():
    youtube._TOKENS.clear()
    yield
    youtube._TOKENS.clear()


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


class FakeGoogle:
    """Answers (method, host + path) with scripted replies in order (the last repeats); keeps the requests."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[httpx.Response]] = {}
        self.requests: list[httpx.Request] = []

    def script(self, method: str, url: str, *responses: httpx.Response) -> None:
        self.routes[(method, url)] = list(responses)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.routes.get((request.method, f"https://{request.url.host}{request.url.path}"))
        if not queue:
            return httpx.Response(404, json={"error": {"code": 404, "message": "not found"}})
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def connector(self, **config) -> YouTubeConnector:
        http = httpx.Client(transport=httpx.MockTransport(self.handle))
        return YouTubeConnector(config=config or {"channel_id": CHANNEL}, credentials=CREDENTIALS, http=http)


@pytest.fixture
def google() -> FakeGoogle:
    return FakeGoogle()


def thread_with_replies() -> dict:
    """The recorded thread Ugw5z… carrying its two recorded replies, as part=replies returns them."""
    newer = copy.deepcopy(load("comment_threads_all_to_me.json"))
    thread = next(item for item in newer["items"] if item["id"] == "Ugw5zYU6n9pmIgAZWvN4AaABAg")
    thread["replies"] = {"comments": load("comments_by_parent_paged_1.json")["items"]}
    return newer


def test_threads_are_read_page_by_page_with_their_replies(google):
    first = thread_with_replies() | {"nextPageToken": "PAGE2"}
    google.script(
        "GET",
        f"{API}/commentThreads",
        httpx.Response(200, json=first),
        httpx.Response(200, json=load("comment_threads_by_video_paged_2.json")),
    )

    result = google.connector().fetch_since({})

    page_one, page_two = google.requests
    assert page_one.headers["Authorization"] == "Bearer ya29.old"
    assert dict(page_one.url.params) == {
        "part": "snippet,replies",
        "allThreadsRelatedToChannelId": CHANNEL,
        "maxResults": "100",
        "order": "time",
        "textFormat": "plainText",
    }
    assert page_two.url.params["pageToken"] == "PAGE2"
    assert len(result.mentions) == 4 + 2 + 5  # four threads, two replies, five older threads
    reply = next(mention for mention in result.mentions if mention.in_reply_to_external_id)
    assert reply.external_id == "Ugw5zYU6n9pmIgAZWvN4AaABAg.91zT3cYb5B291za6voUoRh"
    assert reply.conversation_id == "Ugw5zYU6n9pmIgAZWvN4AaABAg"
    top = result.mentions[0]
    assert (top.text, top.author.display_name) == ("Hope to go next time. yah!", "kun liu")
    assert top.author.external_id == "UCNvMBmCASzTNNX8lW3JRMbw"
    assert top.url == "https://www.youtube.com/watch?v=JE8xdDp5B8Q&lc=UgyWeTdgc4sc1xgmbld4AaABAg"
    assert result.next_cursor == {"published_after": "2019-12-01T04:46:31+00:00"}


def test_a_later_poll_stops_at_the_page_that_reaches_the_cursor_and_keeps_only_newer_comments(google):
    google.script(
        "GET",
        f"{API}/commentThreads",
        httpx.Response(200, json=load("comment_threads_by_video_paged_1.json")),
    )

    result = google.connector(video_id="F1UP7wRCPH8").fetch_since({"published_after": "2019-11-20T00:00:00+00:00"})

    (request,) = google.requests  # the page had a nextPageToken, but it already reached the cursor
    assert request.url.params["videoId"] == "F1UP7wRCPH8"
    assert [mention.external_id for mention in result.mentions] == [
        "UgyZ1jqkHKYvi1-ruOZ4AaABAg",
        "Ugy4OzAuz5uJuFt3FH54AaABAg",
    ]
    assert result.next_cursor == {"published_after": "2019-11-26T15:51:44+00:00"}


def test_a_refused_token_is_refreshed_once_and_the_call_repeated(google):
    google.script(
        "GET",
        f"{API}/commentThreads",
        httpx.Response(401, json={"error": {"code": 401, "message": "Invalid Credentials"}}),
        httpx.Response(200, json=load("comment_threads_by_channel.json")),
    )
    google.script(
        "POST", "https://oauth2.googleapis.com/token", httpx.Response(200, json={"access_token": "ya29.new"})
    )

    result = google.connector().fetch_since({})

    refused, refresh, repeated = google.requests
    assert refused.headers["Authorization"] == "Bearer ya29.old"
    assert parse_qs(refresh.content.decode()) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["1//refresh"],
        "client_id": ["cid"],
        "client_secret": ["cs"],
    }
    assert repeated.headers["Authorization"] == "Bearer ya29.new"
    assert len(result.mentions) == 2
    google.connector().fetch_since({})  # the next poll starts with the fresh token
    assert google.requests[-1].headers["Authorization"] == "Bearer ya29.new"
    assert len(google.requests) == 4


def test_429_and_quota_errors_are_rate_limits(google):
    google.script("GET", f"{API}/commentThreads", httpx.Response(429, headers={"Retry-After": "30"}, json={}))
    with pytest.raises(RateLimited):
        google.connector().fetch_since({})

    quota = {"error": {"code": 403, "errors": [{"reason": "quotaExceeded", "domain": "youtube.quota"}]}}
    google.script("GET", f"{API}/commentThreads", httpx.Response(403, json=quota))
    with pytest.raises(RateLimited) as raised:
        google.connector().fetch_since({})
    reset = raised.value.retry_at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert (reset.hour, reset.minute) == (0, 0)
    assert isinstance(raised.value.retry_at, datetime)

    forbidden = {"error": {"code": 403, "errors": [{"reason": "forbidden"}]}}
    google.script("GET", f"{API}/commentThreads", httpx.Response(403, json=forbidden))
    with pytest.raises(ConnectorError, match="HTTP 403"):
        google.connector().fetch_since({})


def test_malformed_comments_are_rejected_and_the_rest_kept():
    page = copy.deepcopy(load("comment_threads_by_channel.json"))
    broken = copy.deepcopy(page["items"][0])
    broken["snippet"]["topLevelComment"]["snippet"].pop("authorChannelId")
    no_date = copy.deepcopy(page["items"][0])
    no_date["snippet"]["topLevelComment"]["snippet"]["publishedAt"] = "not a date"
    page["items"] += [broken, no_date, "junk"]

    result = YouTubeConnector().parse_payload(page)

    assert len(result.mentions) == 2
    assert len(result.rejected) == 3


def test_a_reply_is_inserted_under_the_top_level_comment(google):
    created = load("comments_insert_response.json")
    google.script("POST", f"{API}/comments", httpx.Response(200, json=created))

    external_id = google.connector().publish_reply(
        in_reply_to="Ugy_CAftKrIUCyPr9GR4AaABAg.9iPXEClD9lW9iPXLqKy_Pt", text="Ya está resuelto.\n— Ana"
    )

    (sent,) = google.requests
    assert (sent.method, sent.url.path, dict(sent.url.params)) == ("POST", "/youtube/v3/comments", {"part": "snippet"})
    assert sent.headers["Authorization"] == "Bearer ya29.old"
    assert json.loads(sent.content) == {
        "snippet": {"parentId": "Ugy_CAftKrIUCyPr9GR4AaABAg", "textOriginal": "Ya está resuelto.\n— Ana"}
    }
    assert external_id == created["id"]


def test_hide_holds_the_comment_for_review_and_unhide_publishes_it(google):
    google.script("POST", f"{API}/comments/setModerationStatus", httpx.Response(204))
    connector = google.connector()

    connector.hide(external_id="UgyWeTdgc4sc1xgmbld4AaABAg", hidden=True)
    connector.hide(external_id="UgyWeTdgc4sc1xgmbld4AaABAg", hidden=False)

    held, published = google.requests
    assert dict(held.url.params) == {"id": "UgyWeTdgc4sc1xgmbld4AaABAg", "moderationStatus": "heldForReview"}
    assert dict(published.url.params) == {"id": "UgyWeTdgc4sc1xgmbld4AaABAg", "moderationStatus": "published"}
    assert held.content == b""


def test_a_channel_may_hide_by_rejecting(google):
    google.script("POST", f"{API}/comments/setModerationStatus", httpx.Response(204))

    google.connector(channel_id=CHANNEL, hide_status="rejected").hide(external_id="UgyWeTdgc4sc1xgmbld4AaABAg")

    assert google.requests[0].url.params["moderationStatus"] == "rejected"


def test_capabilities():
    capabilities = capabilities_for("youtube")
    assert (capabilities.reply, capabilities.hide, capabilities.max_length) == (True, True, 10_000)
