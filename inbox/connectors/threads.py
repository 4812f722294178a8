"""Threads (Meta's Threads API, graph.threads.net): replies to the brand's posts and mentions of it, replies, hiding.

Credentials: `{"access_token", "token_expires_at", "client_secret"}` — a long-lived Threads user token
(60 days) and the Threads app secret (it signs the webhooks). Config: `threads_user_id` (the connection
test fills it in) and `username`, the brand's own handle.

- Token: a long-lived token is refreshed, while it is still valid, when it expires within
  `REFRESH_WITHIN` (`GET /refresh_access_token?grant_type=th_refresh_token`); the new one is written back
  through the channel's locked credentials. "Connect a channel" trades the short-lived token the
  authorisation gives for a long-lived one (`GET /access_token?grant_type=th_exchange_token`).
- Fetch: `GET /{user-id}/mentions` (posts that tag the brand) and, for the `recent_posts` newest of the
  brand's own posts (`GET /{user-id}/threads`), `GET /{media-id}/conversation` (every reply, however
  deep). The cursor keeps the newest `timestamp` seen; mentions are asked `since` it.
- Webhooks: the `replies` (moderate topic) and `mentions` (interaction topic) fields, verified like
  every Meta webhook (`inbox/webhooks.py`: hub.challenge, `X-Hub-Signature-256`); `publish` and
  `delete` are the brand's own actions and are skipped.
- Reply: `POST /{user-id}/threads` with `media_type=TEXT`, `text` and `reply_to_id` makes a container,
  `POST /{user-id}/threads_publish` with its `creation_id` publishes it. Text posts have at most 500
  characters. Hide: `POST /{reply-id}/manage_reply` with `hide=true|false` (top-level replies to the
  brand's posts; their nested replies follow).
- Our own replies carry `is_reply_owned_by_me` or the brand's username: never ingested.
- Rate limits: Meta's Graph API throttling (`GraphApiLimits`): error codes and the usage headers.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx

from inbox.connectors.base import (
    Capabilities,
    ConnectorError,
    FetchResult,
    ItemInvalid,
    NormalizedAuthor,
    NormalizedMention,
    OwnAccount,
    parse_time,
    require_id,
    require_text,
)
from inbox.connectors.meta import GraphApiLimits
from inbox.connectors.normalise import as_object, http_url, unknown_author

GRAPH_URL = "https://graph.threads.net/v1.0"
FIELDS = "id,text,username,permalink,timestamp,media_type,shortcode,root_post,replied_to,is_reply,is_reply_owned_by_me"
WEBHOOK_FIELDS = frozenset({"replies", "mentions"})
REFRESH_WITHIN = 7 * 24 * 3600  # seconds before expiry at which a long-lived token is renewed
LONG_LIVED = 60 * 24 * 3600  # what Threads gives a long-lived token when it names no expires_in


class ThreadsConnector(GraphApiLimits):
    kind = "threads"
    capabilities = Capabilities(webhook=True, reply=True, hide=True, max_length=500)
    recent_posts = 10
    max_pages = 5
    page_size = 50

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = self.base_url or GRAPH_URL

    @classmethod
    def own_account(cls, config: dict[str, Any]) -> OwnAccount:
        own = super().own_account(config)
        user_id, username = str(config.get("threads_user_id") or ""), str(config.get("username") or "")
        return OwnAccount(
            ids=own.ids | ({user_id} if user_id else set()),
            handles=own.handles | ({username.lstrip("@").lower()} if username else set()),
        )

    @classmethod
    def authorization_completed(
        cls, *, body: dict[str, Any], client_secret: str, api_url: str, http: httpx.Client
    ) -> dict[str, Any]:
        """The code gave a short-lived token (an hour): trade it for a long-lived one (60 days)."""
        connector = cls(base_url=api_url, http=http)
        params = {
            "grant_type": "th_exchange_token",
            "client_secret": client_secret,
            "access_token": str(body.get("access_token") or ""),
        }
        return {**connector._token_call("/access_token", params, action="exchange"), "user_id": body.get("user_id")}

    def _token_call(self, path: str, params: dict[str, str], *, action: str) -> dict[str, Any]:
        """A token endpoint takes the token (and the app secret) in its query: no error may repeat the URL."""
        try:
            body = as_object(self.decode_json(self.get_json(f"{self.graph_root()}{path}", params=params)))
        except ConnectorError as error:
            raise ConnectorError(f"Threads refused to {action} the access token ({type(error).__name__}).") from None
        if not isinstance(body.get("access_token"), str) or not body["access_token"]:
            raise ConnectorError(f"Threads did not {action} the access token.")
        return body

    def graph_root(self) -> str:
        """The token endpoints live on the unversioned root (https://graph.threads.net)."""
        root, _, version = self.base_url.rpartition("/")
        return root if version.startswith("v") and version[1:2].isdigit() else self.base_url

    # Token --------------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        expires_at = self.credentials.get("token_expires_at")
        if isinstance(expires_at, int | float) and expires_at - time.time() < REFRESH_WITHIN:
            self.token_refresh()
        token = self.credentials.get("access_token")
        if not token:
            raise ConnectorError("The Threads channel has no access token: connect it again.")
        return {"Authorization": f"Bearer {token}"}  # a header, not ?access_token=: URLs reach logs

    def token_refresh(self) -> None:
        """Renew the long-lived token under the channel's lock; one another worker renewed is kept."""
        seen = self.credentials.get("access_token")

        def update(current: dict[str, Any]) -> dict[str, Any]:
            expires_at = current.get("token_expires_at")
            fresh = isinstance(expires_at, int | float) and expires_at - time.time() >= REFRESH_WITHIN
            if current.get("access_token") != seen and fresh:
                return current
            params = {"grant_type": "th_refresh_token", "access_token": str(current.get("access_token") or "")}
            body = self._token_call("/refresh_access_token", params, action="refresh")
            lifetime = body.get("expires_in")
            lifetime = lifetime if isinstance(lifetime, int) and lifetime > 0 else LONG_LIVED
            return current | {"access_token": body["access_token"], "token_expires_at": int(time.time()) + lifetime}

        store = self.credentials_store
        self.credentials = store(update) if store else update(dict(self.credentials))

    def _user(self) -> str:
        return str(self.config.get("threads_user_id") or "me")

    def _data(self, path: str, params: dict[str, Any], *, pages: int = 0) -> list[Any]:
        """Every row of a paged Graph list, newest first, up to `pages` (default `max_pages`) pages."""
        rows: list[Any] = []
        for _ in range(pages or self.max_pages):
            page = as_object(self.decode_json(self.get_json(path, params=params, headers=self._headers())))
            data = page.get("data")
            if not isinstance(data, list):
                raise ConnectorError(f"Unexpected Threads response: {str(page)[:200]}")
            rows += data
            after = as_object(as_object(page.get("paging")).get("cursors")).get("after")
            if not data or not after or not as_object(page.get("paging")).get("next") or self.backoff_until:
                break
            params = {**params, "after": after}
        return rows

    # Fetch --------------------------------------------------------------------------------------

    def fetch_since(self, cursor: dict[str, Any]) -> FetchResult:
        since = _optional_time(cursor.get("since"))
        mention_params: dict[str, Any] = {"fields": FIELDS, "limit": self.page_size}
        if since is not None:
            mention_params["since"] = int(since.timestamp())
        rows = self._data(f"/{self._user()}/mentions", mention_params)
        posts = self._data(f"/{self._user()}/threads", {"fields": "id,timestamp", "limit": self.recent_posts}, pages=1)
        for post in posts[: self.recent_posts]:
            post_id = as_object(post).get("id")
            if post_id and not self.backoff_until:
                rows += self._data(f"/{post_id}/conversation", {"fields": FIELDS, "reverse": "true"})
        result = self.parse_payload({"data": rows})
        return result.newer_than(since, cursor=cursor, key="since")

    def parse_payload(self, payload: Any) -> FetchResult:
        """Accept a webhook body (`values.value` + `field`), a Graph list (`data`), a list of either, or one post."""
        bodies = payload if isinstance(payload, list) else [payload]
        result = FetchResult()
        for body in bodies:
            if isinstance(body, dict) and isinstance(body.get("values"), dict):
                values = body["values"]
                if values.get("field") in WEBHOOK_FIELDS:
                    result.collect(values, self.normalise, values.get("value"))
            elif isinstance(body, dict) and isinstance(body.get("data"), list):
                for row in body["data"]:
                    result.collect(row, self.normalise, row)
            elif isinstance(body, dict) and "id" in body:
                result.collect(body, self.normalise, body)
            else:
                raise ConnectorError("A Threads payload must be a webhook body, a Graph API list or a post.")
        return result

    def normalise(self, post: Any) -> NormalizedMention | None:
        if not isinstance(post, dict):
            raise ItemInvalid(f"post is not an object: {str(post)[:80]}")
        if post.get("is_reply_owned_by_me") is True:
            return None  # the brand's own reply
        post_id = require_id(post.get("id"), field_name="id")
        username = str(post.get("username") or "")
        root = str(as_object(post.get("root_post")).get("id") or "")
        return NormalizedMention(
            external_id=post_id,
            text=require_text(post.get("text"), field_name="text"),
            posted_at=parse_time(post.get("timestamp"), field_name="timestamp"),
            author=NormalizedAuthor(external_id=f"username:{username.lower()}"[:128], handle=username)
            if username
            else unknown_author(f"threads:{post_id}"),
            conversation_id=(root or post_id)[:128],
            in_reply_to_external_id=str(as_object(post.get("replied_to")).get("id") or "")[:128],
            url=http_url(post.get("permalink")),
            raw=post,
        )

    # Publish and moderate -----------------------------------------------------------------------

    def publish_reply(self, *, in_reply_to: str, text: str, context: dict[str, Any] | None = None) -> str:
        headers = self._headers()
        form = {"media_type": "TEXT", "text": text, "reply_to_id": in_reply_to}
        container = as_object(
            self.decode_json(self.send("POST", f"/{self._user()}/threads", data=form, headers=headers))
        )
        if not container.get("id"):
            raise ConnectorError(f"Threads did not return the reply container's id: {str(container)[:200]}")
        published = as_object(
            self.decode_json(
                self.send(
                    "POST",
                    f"/{self._user()}/threads_publish",
                    data={"creation_id": str(container["id"])},
                    headers=headers,
                )
            )
        )
        if not published.get("id"):
            raise ConnectorError(f"Threads did not publish the reply: {str(published)[:200]}")
        return str(published["id"])

    def hide(self, *, external_id: str, hidden: bool = True) -> None:
        body = as_object(
            self.decode_json(
                self.send(
                    "POST",
                    f"/{external_id}/manage_reply",
                    data={"hide": "true" if hidden else "false"},
                    headers=self._headers(),
                )
            )
        )
        if body.get("success") is not True:
            raise ConnectorError(f"Threads did not confirm hiding the reply: {str(body)[:200]}")


def _optional_time(value: Any) -> datetime | None:
    try:
        return parse_time(value) if value else None
    except ItemInvalid:
        return None
