"""YouTube comments (Data API v3): the comment threads on the brand's channel or one video, replies, hiding.

Auth: OAuth 2.0 with the `youtube.force-ssl` scope. Credentials `{"access_token", "refresh_token",
"client_id", "client_secret"}`; a call answered 401 trades the refresh token for a new access token
once (`POST https://oauth2.googleapis.com/token`, `grant_type=refresh_token`) and is repeated. The
fresh token (an hour's life) is kept in the worker process's memory, keyed by a hash of the refresh
token, so the next polls start with it instead of being refused first; it is never stored elsewhere.

Fetch: `GET /commentThreads?part=snippet,replies&order=time&textFormat=plainText` with
`allThreadsRelatedToChannelId=<config channel_id>` (or `videoId=<config video_id>`), pages through
`pageToken`. Each thread gives its top-level comment and the replies it carries (the thread id is the
conversation). The cursor keeps the newest `publishedAt` seen; a poll stops at the page where a
thread is no newer than it (or after `max_pages`).

Reply: `POST /comments?part=snippet` with `snippet.parentId` and `snippet.textOriginal`. YouTube
threads one level deep, so a reply to a reply goes to its top-level comment (the part of a reply's
id before the dot). At most 10,000 characters.

Hide: `POST /comments/setModerationStatus?id=...&moderationStatus=heldForReview`, which takes the
comment off public display and keeps it in YouTube Studio's "held for review" queue, so it can be
shown again (`moderationStatus=published`). `rejected` would also hide it, but as a moderator's
final "no"; a channel may choose it with `config["hide_status"] = "rejected"`.

Quota: 429, and 403 `quotaExceeded` / `rateLimitExceeded`, become `RateLimited`; the daily quota
is reset at midnight Pacific time.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
from django.utils import timezone

from inbox.connectors.base import (
    Capabilities,
    Connector,
    ConnectorError,
    FetchResult,
    ItemInvalid,
    NormalizedAuthor,
    NormalizedMention,
    RateLimited,
    parse_time,
    require_id,
)
from inbox.connectors.normalise import as_object, engagement_sum, html_to_text, http_url

GOOGLE_OAUTH_ENDPOINT = "https://oauth2.googleapis.com/token"
QUOTA_REASONS = frozenset({"quotaExceeded", "rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded"})
PACIFIC = ZoneInfo("America/Los_Angeles")
HIDE_STATUSES = ("heldForReview", "rejected")
_TOKENS: dict[str, str] = {}  # sha256 of a refresh token -> the access token it last gave, this process only
_TOKENS_LOCK = threading.Lock()


class TokenExpired(ConnectorError):
    """The access token was refused (401); the caller refreshes it and asks again."""


class YouTubeConnector(Connector):
    kind = "youtube"
    capabilities = Capabilities(reply=True, hide=True, max_length=10_000)
    max_pages = 5
    page_size = 100

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = self.base_url or "https://www.googleapis.com/youtube/v3"
        with _TOKENS_LOCK:
            kept = _TOKENS.get(self._token_key())
        if kept:
            self.credentials = {**self.credentials, "access_token": kept}

    def _token_key(self) -> str:
        return hashlib.sha256(str(self.credentials.get("refresh_token") or "").encode()).hexdigest()

    # Auth and errors ----------------------------------------------------------------------------

    def token_refresh(self) -> str:
        """A new access token from the refresh token (kept on this connector for its later calls)."""
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.credentials.get("refresh_token") or "",
            "client_id": self.credentials.get("client_id") or "",
            "client_secret": self.credentials.get("client_secret") or "",
        }
        if not all(form.values()):
            raise ConnectorError("The YouTube token expired and the channel has no refresh token and client.")
        token_url = str(self.credentials.get("token_url") or GOOGLE_OAUTH_ENDPOINT)
        body = as_object(self.decode_json(self.send("POST", token_url, data=form)))
        if not body.get("access_token"):
            raise ConnectorError(f"Google returned no access token: {str(body)[:200]}")
        self.credentials = {**self.credentials, "access_token": body["access_token"]}
        with _TOKENS_LOCK:
            _TOKENS[self._token_key()] = str(body["access_token"])
        return str(body["access_token"])

    def raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code == 401 and "oauth2" not in response.request.url.host:
            raise TokenExpired("YouTube refused the access token")
        if response.status_code == 403 and _error_reason(response) in QUOTA_REASONS:
            raise RateLimited(f"YouTube quota: {_error_reason(response)}", retry_at=_next_pacific_midnight())
        super().raise_for_status(response)

    def api(self, method: str, path: str, *, params: Any = None, json: Any = None) -> httpx.Response:
        """One authorised call, refreshing the access token once when it was refused."""
        for attempt in (1, 2):
            token = self.credentials.get("access_token") or self.token_refresh()
            headers = {"Authorization": f"Bearer {token}"}
            query = urlencode(params or {})
            try:
                if method == "GET":
                    return self.get_json(path, params=params, headers=headers)
                return self.send(method, f"{path}?{query}" if query else path, json=json, headers=headers)
            except TokenExpired:
                if attempt == 2:
                    raise
                self.token_refresh()
        raise ConnectorError("unreachable")  # pragma: no cover

    # Fetch --------------------------------------------------------------------------------------

    def _filter(self) -> dict[str, str]:
        if self.config.get("video_id"):
            return {"videoId": str(self.config["video_id"])}
        if self.config.get("channel_id"):
            return {"allThreadsRelatedToChannelId": str(self.config["channel_id"])}
        raise ConnectorError("The YouTube channel needs a channel_id (or a video_id) in its configuration.")

    def fetch_since(self, cursor: dict[str, Any]) -> FetchResult:
        since = _optional_time(cursor.get("published_after"))
        params: dict[str, Any] = {
            "part": "snippet,replies",
            **self._filter(),
            "maxResults": self.page_size,
            "order": "time",
            "textFormat": "plainText",
        }
        threads: list[Any] = []
        for _ in range(self.max_pages):
            page = as_object(self.decode_json(self.api("GET", "/commentThreads", params=params)))
            items = page.get("items")
            if not isinstance(items, list):
                raise ConnectorError(f"Unexpected YouTube response: {str(page)[:200]}")
            threads += items
            reached = since is not None and any(_newest_in(thread) <= since for thread in items)
            if reached or not items or not page.get("nextPageToken"):
                break
            params["pageToken"] = page["nextPageToken"]
        result = self.parse_payload({"items": threads})
        return result.newer_than(since, cursor=cursor, key="published_after")

    def parse_payload(self, payload: Any) -> FetchResult:
        """Accept a commentThreads or comments list response, a list of either, or one resource."""
        if isinstance(payload, dict) and isinstance(payload.get("items"), list):
            items = payload["items"]
        elif isinstance(payload, dict) and "snippet" in payload:
            items = [payload]
        elif isinstance(payload, list):
            items = payload
        else:
            raise ConnectorError("A YouTube payload must be a commentThreads or comments list.")
        result = FetchResult()
        for item in items:
            snippet = as_object(as_object(item).get("snippet"))
            if "topLevelComment" in snippet:
                thread_id = str(as_object(item).get("id") or "")
                replies = as_object(as_object(item).get("replies")).get("comments")
                comments = [snippet["topLevelComment"], *(replies if isinstance(replies, list) else [])]
            else:
                thread_id, comments = "", [item]
            for comment in comments:
                result.collect(comment, self.normalise, comment, thread_id=thread_id)
        return result

    def normalise(self, comment: Any, *, thread_id: str = "") -> NormalizedMention:
        if not isinstance(comment, dict):
            raise ItemInvalid(f"comment is not an object: {str(comment)[:80]}")
        comment_id = require_id(comment.get("id"), field_name="id")
        snippet = as_object(comment.get("snippet"))
        text = str(snippet.get("textOriginal") or "").strip() or html_to_text(str(snippet.get("textDisplay") or ""))
        if not text:
            raise ItemInvalid("'snippet.textOriginal' is missing or empty")
        channel = as_object(snippet.get("authorChannelId")).get("value")
        name = str(snippet.get("authorDisplayName") or "")
        parent = str(snippet.get("parentId") or "")
        video = str(snippet.get("videoId") or "")
        return NormalizedMention(
            external_id=comment_id,
            text=text,
            posted_at=parse_time(snippet.get("publishedAt"), field_name="publishedAt"),
            author=NormalizedAuthor(
                external_id=require_id(channel, field_name="snippet.authorChannelId"),
                handle=name[1:] if name.startswith("@") else "",  # display names are "@handle" since 2022
                display_name=name,
            ),
            conversation_id=(thread_id or parent or comment_id)[:128],
            in_reply_to_external_id=parent[:128],
            url=http_url(f"https://www.youtube.com/watch?v={video}&lc={comment_id}") if video else "",
            raw={"comment": comment, "moderation_status": snippet.get("moderationStatus", "")},
            engagement=engagement_sum(snippet, "likeCount"),
        )

    # Publish and moderate -----------------------------------------------------------------------

    def publish_reply(self, *, in_reply_to: str, text: str, context: dict[str, Any] | None = None) -> str:
        parent = in_reply_to.split(".", 1)[0]  # replies thread under their top-level comment
        body = {"snippet": {"parentId": parent, "textOriginal": text}}
        created = as_object(self.decode_json(self.api("POST", "/comments", params={"part": "snippet"}, json=body)))
        if not created.get("id"):
            raise ConnectorError(f"YouTube did not return the new comment's id: {str(created)[:200]}")
        return str(created["id"])

    def hide(self, *, external_id: str, hidden: bool = True) -> None:
        status = str(self.config.get("hide_status") or HIDE_STATUSES[0]) if hidden else "published"
        if hidden and status not in HIDE_STATUSES:
            raise ConnectorError(f"hide_status must be one of {HIDE_STATUSES}, not {status!r}.")
        self.api("POST", "/comments/setModerationStatus", params={"id": external_id, "moderationStatus": status})


def _error_reason(response: httpx.Response) -> str:
    try:
        errors = as_object(as_object(response.json()).get("error")).get("errors")
    except ValueError:
        return ""
    return str(as_object(errors[0]).get("reason") or "") if isinstance(errors, list) and errors else ""


def _next_pacific_midnight() -> datetime:
    now = timezone.now().astimezone(PACIFIC)
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _newest_in(thread: Any) -> datetime:
    """The newest comment of a thread (its top-level comment or a reply it carries)."""
    snippet = as_object(as_object(thread).get("snippet"))
    replies = as_object(as_object(thread).get("replies")).get("comments")
    comments = [snippet.get("topLevelComment"), *(replies if isinstance(replies, list) else [])]
    times = [_optional_time(as_object(as_object(comment).get("snippet")).get("publishedAt")) for comment in comments]
    return max((moment for moment in times if moment is not None), default=timezone.now())


def _optional_time(value: Any) -> datetime | None:
    try:
        return parse_time(value) if value else None
    except ItemInvalid:
        return None
