"""Bluesky (AT Protocol over plain XRPC): mentions, replies and quotes of the brand, a search, replies.

Session: `com.atproto.server.createSession` with the account's handle and an app password
(credentials `{"identifier": ..., "app_password": ...}`) returns an access token that lives minutes
and a refresh token. A call answered `ExpiredToken` refreshes the session once
(`com.atproto.server.refreshSession`, the refresh token as bearer) and is repeated; when the refresh
token has expired too a new session is created. Bluesky allows 30 createSession calls in 5 minutes
and 300 a day per account, fewer than one poll a minute needs, so the session is kept in the worker
process's memory (per PDS and identifier) and reused by the next poll's connector; it is never written
to the database or the cache.

Fetch: `app.bsky.notification.listNotifications` (reasons mention, reply, quote) pages from the
newest to the oldest through an opaque `cursor`; a poll walks back until it meets a notification
indexed at or before the stored `notifications_since` (or `max_pages`) and stores the newest
`indexedAt`, so a run cut short re-reads rather than skips. With `config["search_query"]`,
`app.bsky.feed.searchPosts?sort=latest&since=<search_since>` adds posts that name the brand.

Reply: the parent is read with `app.bsky.feed.getPosts` (its cid and its thread's root), then
`com.atproto.repo.createRecord` writes an `app.bsky.feed.post` whose `reply` names the root and the
parent (uri + cid). A post has at most 300 graphemes. Hide: not offered — only a thread's author can
hide replies (threadgate), not the replies to our mentions. Rate limits: 429 with `RateLimit-Reset`
(Unix seconds) becomes `RateLimited` until that moment.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from typing import Any

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
    parse_time,
    require_id,
    require_text,
)
from inbox.connectors.normalise import as_int, as_object, engagement_sum, http_url

XRPC = "/xrpc/"
POST_TYPE = "app.bsky.feed.post"
MENTION_REASONS = ("mention", "reply", "quote")
POST_URI = re.compile(r"^at://(?P<did>[^/]+)/app\.bsky\.feed\.post/(?P<rkey>[A-Za-z0-9._~:-]+)$")

_SESSIONS: dict[tuple[str, str], dict[str, Any]] = {}  # (PDS, identifier) -> the last session, this process only
_SESSIONS_LOCK = threading.Lock()


class SessionExpired(ConnectorError):
    """The access (or refresh) token has expired; the caller refreshes and asks again."""


class BlueskyConnector(Connector):
    kind = "bluesky"
    capabilities = Capabilities(
        reply=True, max_length=300, media=True, length_unit="graphemes", max_bytes=3000, publish=True
    )
    max_pages = 5
    page_size = 50

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = self.base_url or "https://bsky.social"
        with _SESSIONS_LOCK:
            self.session: dict[str, Any] = dict(_SESSIONS.get(self._session_key(), {}))

    def _session_key(self) -> tuple[str, str]:
        return (self.base_url, str(self.credentials.get("identifier") or ""))

    # Session ------------------------------------------------------------------------------------

    def session_create(self) -> dict[str, Any]:
        identifier = self.credentials.get("identifier")
        password = self.credentials.get("app_password")
        if not identifier or not password:
            raise ConnectorError("The Bluesky channel needs an identifier and an app password in its credentials.")
        response = self.send(
            "POST", f"{XRPC}com.atproto.server.createSession", json={"identifier": identifier, "password": password}
        )
        return self._session_keep(self.decode_json(response))

    def session_refresh(self) -> dict[str, Any]:
        """A new access token from the refresh token; a new session when the refresh token is gone."""
        refresh = self.session.get("refreshJwt")
        if not refresh:
            return self.session_create()
        try:
            response = self.send(
                "POST", f"{XRPC}com.atproto.server.refreshSession", headers={"Authorization": f"Bearer {refresh}"}
            )
        except SessionExpired:
            return self.session_create()
        return self._session_keep(self.decode_json(response))

    def _session_keep(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not body.get("accessJwt") or not body.get("did"):
            raise ConnectorError(f"Bluesky returned no session: {str(body)[:200]}")
        self.session = body
        with _SESSIONS_LOCK:
            _SESSIONS[self._session_key()] = dict(body)
        return body

    def raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code in (400, 401):
            try:
                error = as_object(response.json()).get("error")
            except ValueError:
                error = None
            if error in ("ExpiredToken", "InvalidToken"):
                raise SessionExpired(f"Bluesky session: {error}")
        super().raise_for_status(response)

    def retry_at(self, response: httpx.Response) -> datetime:
        """Bluesky names the end of the window in `RateLimit-Reset` (Unix seconds), not Retry-After."""
        reset = response.headers.get("ratelimit-reset", "")
        if reset.isdigit():
            return max(timezone.now(), datetime.fromtimestamp(int(reset), tz=UTC))
        return super().retry_at(response)

    def xrpc(self, method: str, nsid: str, *, params: Any = None, json: Any = None) -> Any:
        """One authenticated XRPC call, refreshing the session once when the token has expired."""
        if not self.session:
            self.session_create()
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.session['accessJwt']}"}
            try:
                if method == "GET":
                    response = self.get_json(f"{XRPC}{nsid}", params=params, headers=headers)
                else:
                    response = self.send(method, f"{XRPC}{nsid}", json=json, headers=headers)
            except SessionExpired:
                if attempt == 2:
                    raise
                self.session_refresh()
                continue
            return self.decode_json(response)
        raise ConnectorError("unreachable")  # pragma: no cover

    # Fetch --------------------------------------------------------------------------------------

    def fetch_since(self, cursor: dict[str, Any]) -> FetchResult:
        notifications, newest = self._notifications_since(str(cursor.get("notifications_since") or ""))
        result = self.parse_payload({"notifications": notifications})
        next_cursor = dict(cursor)
        if newest:
            next_cursor["notifications_since"] = newest
        query = str(self.config.get("search_query") or "").strip()
        if query:
            posts, search_newest = self._search_since(query, str(cursor.get("search_since") or ""))
            seen = {mention.external_id for mention in result.mentions}
            found = self.parse_payload({"posts": posts})
            result.mentions += [mention for mention in found.mentions if mention.external_id not in seen]
            result.rejected += found.rejected
            if search_newest:
                next_cursor["search_since"] = search_newest
        result.next_cursor = next_cursor
        return result

    def _notifications_since(self, since: str) -> tuple[list[Any], str]:
        params: dict[str, Any] = {"limit": self.page_size, "reasons": list(MENTION_REASONS)}
        items: list[Any] = []
        newest = since
        for _ in range(self.max_pages):
            page = as_object(self.xrpc("GET", "app.bsky.notification.listNotifications", params=params))
            batch = page.get("notifications")
            if not isinstance(batch, list):
                raise ConnectorError(f"Unexpected Bluesky notifications: {str(page)[:200]}")
            fresh = [item for item in batch if _is_after(item, since)]
            items += fresh
            newest = _newest(fresh, newest)
            if len(fresh) < len(batch) or not batch or not page.get("cursor"):
                break
            params["cursor"] = page["cursor"]
        return items, newest

    def _search_since(self, query: str, since: str) -> tuple[list[Any], str]:
        params: dict[str, Any] = {"q": query, "sort": "latest", "limit": self.page_size}
        if since:
            params["since"] = since
        posts: list[Any] = []
        newest = since
        for _ in range(self.max_pages):
            page = as_object(self.xrpc("GET", "app.bsky.feed.searchPosts", params=params))
            batch = page.get("posts")
            if not isinstance(batch, list):
                raise ConnectorError(f"Unexpected Bluesky search results: {str(page)[:200]}")
            fresh = [item for item in batch if _is_after(item, since)]
            posts += fresh
            newest = _newest(fresh, newest)
            if not batch or not page.get("cursor"):
                break
            params["cursor"] = page["cursor"]
        return posts, newest

    def parse_payload(self, payload: Any) -> FetchResult:
        """Accept listNotifications or searchPosts/getPosts output, a list of either, or one post view."""
        if isinstance(payload, dict) and isinstance(payload.get("notifications"), list):
            items = payload["notifications"]
        elif isinstance(payload, dict) and isinstance(payload.get("posts"), list):
            items = payload["posts"]
        elif isinstance(payload, dict) and "uri" in payload:
            items = [payload]
        elif isinstance(payload, list):
            items = payload
        else:
            raise ConnectorError("A Bluesky payload must be notifications, posts or one post view.")
        result = FetchResult()
        for item in items:
            if isinstance(item, dict) and "reason" in item and item["reason"] not in MENTION_REASONS:
                continue  # likes, reposts and follows are not mentions
            result.collect(item, self.normalise, item)
        return result

    def normalise(self, item: Any) -> NormalizedMention:
        if not isinstance(item, dict):
            raise ItemInvalid(f"post is not an object: {str(item)[:80]}")
        uri = require_id(item.get("uri"), field_name="uri")
        record = as_object(item.get("record"))
        if record.get("$type") != POST_TYPE:
            raise ItemInvalid(f"'record' is not an {POST_TYPE}: {str(record.get('$type'))[:40]!r}")
        author = as_object(item.get("author"))
        reply = as_object(record.get("reply"))
        langs = record.get("langs")
        return NormalizedMention(
            external_id=uri,
            text=require_text(record.get("text"), field_name="record.text"),
            posted_at=parse_time(record.get("createdAt") or item.get("indexedAt"), field_name="createdAt"),
            author=NormalizedAuthor(
                external_id=require_id(author.get("did"), field_name="author.did"),
                handle=str(author.get("handle") or ""),
                display_name=str(author.get("displayName") or ""),
                followers=as_int(author.get("followersCount")),
                account_created_at=_optional_time(author.get("createdAt")),
            ),
            conversation_id=str(as_object(reply.get("root")).get("uri") or uri)[:128],
            in_reply_to_external_id=str(as_object(reply.get("parent")).get("uri") or "")[:128],
            url=post_url(uri),
            language=str(langs[0])[:8] if isinstance(langs, list) and langs else "",
            raw={"uri": uri, "cid": item.get("cid"), "reason": item.get("reason", ""), "record": record},
            engagement=engagement_sum(item, "likeCount", "repostCount", "replyCount", "quoteCount"),
        )

    # Publish ------------------------------------------------------------------------------------

    def publish_reply(self, *, in_reply_to: str, text: str, context: dict[str, Any] | None = None) -> str:
        parent = self._post_view(in_reply_to)
        parent_ref = _strong_ref(parent)
        root = as_object(as_object(as_object(parent.get("record")).get("reply")).get("root"))
        root_ref = _strong_ref(root) if root else parent_ref
        return self._create_post({"text": text, "reply": {"root": root_ref, "parent": parent_ref}})

    def publish_post(self, *, text: str) -> str:
        return self._create_post({"text": text})

    def _post_view(self, uri: str) -> dict[str, Any]:
        body = as_object(self.xrpc("GET", "app.bsky.feed.getPosts", params={"uris": [uri]}))
        posts = body.get("posts")
        if not isinstance(posts, list) or not posts or not isinstance(posts[0], dict):
            raise ConnectorError(f"Bluesky no longer shows the post {uri}; it may have been deleted.")
        return posts[0]

    def _create_post(self, fields: dict[str, Any]) -> str:
        now = timezone.now().astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        record = {"$type": POST_TYPE, **fields, "createdAt": now}
        body = self.xrpc(
            "POST",
            "com.atproto.repo.createRecord",
            json={"repo": self.session["did"], "collection": POST_TYPE, "record": record},
        )
        if not isinstance(body, dict) or not body.get("uri"):
            raise ConnectorError(f"Bluesky did not return the new post's uri: {str(body)[:200]}")
        return str(body["uri"])


def post_url(uri: str) -> str:
    """at://<did>/app.bsky.feed.post/<rkey> is shown at https://bsky.app/profile/<did>/post/<rkey>."""
    match = POST_URI.match(uri)
    return http_url(f"https://bsky.app/profile/{match['did']}/post/{match['rkey']}") if match else ""


def _strong_ref(view: dict[str, Any]) -> dict[str, str]:
    uri, cid = view.get("uri"), view.get("cid")
    if not isinstance(uri, str) or not uri or not isinstance(cid, str) or not cid:
        raise ConnectorError(f"The Bluesky post has no uri and cid to reply to: {str(view)[:200]}")
    return {"uri": uri, "cid": cid}


def _indexed_at(item: Any) -> datetime | None:
    try:
        return parse_time(as_object(item).get("indexedAt"), field_name="indexedAt")
    except ItemInvalid:
        return None


def _is_after(item: Any, since: str) -> bool:
    """Items without a readable date are kept (they become dead letters, not silent gaps)."""
    if not since:
        return True
    indexed, boundary = _indexed_at(item), _optional_time(since)
    return indexed is None or boundary is None or indexed > boundary


def _newest(items: list[Any], newest: str) -> str:
    for item in items:
        indexed = _indexed_at(item)
        current = _optional_time(newest)
        if indexed is not None and (current is None or indexed > current):
            newest = str(as_object(item)["indexedAt"])
    return newest


def _optional_time(value: Any) -> datetime | None:
    try:
        return parse_time(value) if value else None
    except ItemInvalid:
        return None
