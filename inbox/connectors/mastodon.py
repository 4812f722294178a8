"""Mastodon: mention notifications of the brand's account, and replies.

The first poll reads the newest page (and older ones through `Link: rel="next"`, up to
`max_pages`). Later polls ask for `min_id=<cursor>`, which returns the notifications right after
the cursor oldest-first, and walk forward through `rel="prev"`; each page read moves the cursor to
the newest id seen, so a run cut short never skips anything.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

import httpx

from inbox.connectors import ratelimits
from inbox.connectors.base import (
    Capabilities,
    Connector,
    ConnectorError,
    FetchResult,
    ItemInvalid,
    NormalizedAuthor,
    NormalizedMention,
    OwnAccount,
    RejectedItem,
    parse_time,
    require_id,
)
from inbox.connectors.normalise import as_int, as_object, conversation_root, engagement_sum, html_to_text


def _id_key(value: str) -> tuple[int, str]:
    """Mastodon ids are numeric strings of varying length; compare them as numbers."""
    return (len(value), value)


class MastodonConnector(Connector):
    kind = "mastodon"
    capabilities = Capabilities(
        reply=True, private_reply=True, max_length=500, media=True, length_unit="mastodon", publish=True
    )
    max_pages = 5
    page_size = 40

    def _headers(self) -> dict[str, str]:
        token = self.credentials.get("access_token")
        if not token:
            raise ConnectorError("The Mastodon channel has no access token in its credentials.")
        return {"Authorization": f"Bearer {token}"}

    def fetch_since(self, cursor: dict[str, Any]) -> FetchResult:
        if not self.base_url:
            raise ConnectorError("The Mastodon channel needs its instance URL.")
        headers = self._headers()
        since = cursor.get("min_id", "")
        query: list[tuple[str, Any]] = [("types[]", "mention"), ("limit", self.page_size)]
        if since:
            query.append(("min_id", since))
        params: list[tuple[str, Any]] | None = query  # the next pages' links carry their own query
        follow = "prev" if since else "next"
        url: str = "/api/v1/notifications"
        notifications: list[Any] = []
        newest = since
        for _ in range(self.max_pages):
            response = self.get_json(url, params=params, headers=headers)
            page = self.decode_json(response)
            if not isinstance(page, list):
                raise ConnectorError(f"Unexpected Mastodon response: {str(page)[:200]}")
            if not page:
                break
            notifications += page
            for item in page:
                if isinstance(item, dict) and isinstance(item.get("id"), str) and _id_key(item["id"]) > _id_key(newest):
                    newest = item["id"]
            link = response.links.get(follow, {}).get("url")
            if not link or self.backoff_until:
                break  # a spent quota ends the run; the cursor already holds the newest id read
            url, params = link, None
        result = self.parse_payload(notifications)
        result.next_cursor = {"min_id": newest} if newest else dict(cursor)
        return result

    def parse_payload(self, payload: Any) -> FetchResult:
        """Accept notifications, a status, a timeline (list of statuses) or v2 search results."""
        if isinstance(payload, dict) and isinstance(payload.get("statuses"), list):
            items = payload["statuses"]
        elif isinstance(payload, dict) and ("content" in payload or "status" in payload):
            items = [payload]
        elif isinstance(payload, list):
            items = payload
        else:
            raise ConnectorError("A Mastodon payload must be notifications, statuses or search results.")
        statuses: list[tuple[Any, Any]] = []
        result = FetchResult()
        for item in items:
            if isinstance(item, dict) and "type" in item and "account" in item and "content" not in item:
                if item["type"] != "mention":
                    continue
                if not isinstance(item.get("status"), dict):
                    result.rejected.append(RejectedItem(reason="mention notification without a status", payload=item))
                    continue
                statuses.append((item["status"], item))
            else:
                statuses.append((item, item))
        parents = {
            str(status.get("id")): str(status.get("in_reply_to_id") or "")
            for status, _ in statuses
            if isinstance(status, dict)
        }
        for status, original in statuses:
            result.collect(original, self.normalise, status, parents=parents)
        return result

    def normalise(self, status: Any, *, parents: dict[str, str]) -> NormalizedMention:
        if not isinstance(status, dict):
            raise ItemInvalid(f"status is not an object: {str(status)[:80]}")
        if isinstance(status.get("reblog"), dict):
            status = status["reblog"]
        status_id = require_id(status.get("id"), field_name="id")
        text = html_to_text(str(status.get("content") or ""))
        if status.get("spoiler_text"):
            text = f"{status['spoiler_text']}\n\n{text}".strip()
        if not text:
            raise ItemInvalid("'content' is missing or empty")
        account = status.get("account")
        if not isinstance(account, dict) or not account.get("id"):
            raise ItemInvalid("'account' is missing")
        author = NormalizedAuthor(
            external_id=str(account["id"]),
            handle=str(account.get("acct") or account.get("username") or ""),
            display_name=str(account.get("display_name") or ""),
            followers=as_int(account.get("followers_count")),
            account_created_at=_optional_time(account.get("created_at")),
        )
        in_reply_to = str(status.get("in_reply_to_id") or "")
        return NormalizedMention(
            external_id=status_id,
            text=text,
            posted_at=parse_time(status.get("created_at")),
            author=author,
            conversation_id=conversation_root(status_id, parents),
            in_reply_to_external_id=in_reply_to,
            url=str(status.get("url") or status.get("uri") or ""),
            language=str(status.get("language") or "")[:8],
            raw={"status": status, "author_is_bot": bool(account.get("bot"))},
            engagement=engagement_sum(status, "favourites_count", "reblogs_count", "replies_count"),
        )

    def rate_limit_reset(self, response: httpx.Response) -> datetime | None:
        return ratelimits.iso_time(response.headers.get("x-ratelimit-reset"))

    def rate_limit_exhausted(self, response: httpx.Response) -> bool:
        return ratelimits.remaining(response.headers.get("x-ratelimit-remaining")) == 0

    @classmethod
    def own_account(cls, config: dict[str, Any]) -> OwnAccount:
        """`account_id` / `acct` in the config name the brand's account (plus the `own_*` settings)."""
        own = super().own_account(config)
        ids = own.ids | {str(config["account_id"])} if config.get("account_id") else own.ids
        handles = own.handles | {str(config["acct"]).lstrip("@").lower()} if config.get("acct") else own.handles
        return OwnAccount(ids=frozenset(ids), handles=frozenset(handles))

    def reply_context(self, *, raw: dict[str, Any], author_handle: str) -> dict[str, Any]:
        """The original's author `acct` and `visibility`, from the status ingestion stored in raw."""
        status = raw.get("status")
        context = _status_context(status if isinstance(status, dict) else raw)
        return context or super().reply_context(raw=raw, author_handle=author_handle)

    def publish_reply(self, *, in_reply_to: str, text: str, context: dict[str, Any] | None = None) -> str:
        """Reply addressed to the author, never more visible than the original.

        A reply alone does not notify its author on Mastodon (mastodon/mastodon#21932): the text
        starts with `@acct` unless it already names them. The visibility follows the original's
        (`reply_visibility`): a direct message is answered directly. Without `context` (author and
        visibility) the original status is read first. The Idempotency-Key makes a retried send
        publish once (Mastodon keeps it for an hour).
        """
        original = dict(context or {})
        if not original.get("visibility") or not original.get("author_handle"):
            original = self._original_context(in_reply_to) | {k: v for k, v in original.items() if v}
        text = addressed(text, str(original.get("author_handle") or ""))
        visibility = reply_visibility(
            str(original.get("visibility") or ""), public=str(self.config.get("reply_visibility") or "public")
        )
        key = hashlib.sha256(f"{in_reply_to}\n{text}".encode()).hexdigest()
        response = self.send(
            "POST",
            "/api/v1/statuses",
            json={"status": text, "in_reply_to_id": in_reply_to, "visibility": visibility},
            headers=self._headers() | {"Idempotency-Key": key},
        )
        return _created_id(self.decode_json(response))

    def _original_context(self, status_id: str) -> dict[str, Any]:
        status = self.decode_json(self.get_json(f"/api/v1/statuses/{status_id}", headers=self._headers()))
        return _status_context(status if isinstance(status, dict) else {})

    def publish_post(self, *, text: str) -> str:
        response = self.send("POST", "/api/v1/statuses", json={"status": text}, headers=self._headers())
        return _created_id(self.decode_json(response))

    def publish_private_reply(
        self, *, mention_external_id: str, author_external_id: str, text: str, context: dict[str, Any] | None = None
    ) -> str:
        """Mastodon's private message: a `direct` status addressed to the author (only those it mentions see it).

        The Idempotency-Key makes a retried send publish once."""
        original = dict(context or {})
        if not original.get("author_handle"):
            original = self._original_context(mention_external_id)
        acct = str(original.get("author_handle") or "")
        if not acct:
            raise ConnectorError("The author's Mastodon account is not known: a direct message needs it.")
        text = addressed(text, acct)
        key = hashlib.sha256(f"private\n{mention_external_id}\n{text}".encode()).hexdigest()
        response = self.send(
            "POST",
            "/api/v1/statuses",
            json={"status": text, "visibility": "direct"},
            headers=self._headers() | {"Idempotency-Key": key},
        )
        return _created_id(self.decode_json(response))


def reply_visibility(original: str, *, public: str = "public") -> str:
    """A reply is never more visible than what it answers: direct stays direct, private stays private.

    A public original is answered `public` or `unlisted` as the channel's config says; a visibility
    we do not know (a fork's extension) is answered `direct`, the one that cannot leak.
    """
    if original == "public":
        return public if public in ("public", "unlisted") else "public"
    return original if original in ("unlisted", "private", "direct") else "direct"


def addressed(text: str, acct: str) -> str:
    """`@acct text` unless the text already names the account (case-insensitive, whole handle)."""
    acct = acct.strip().lstrip("@")
    if not acct:
        return text
    if re.search(rf"(?<![\w@])@{re.escape(acct)}(?![\w@-]|\.\w)", text, flags=re.IGNORECASE):
        return text
    return f"@{acct} {text}"


def _status_context(status: dict[str, Any]) -> dict[str, Any]:
    account = as_object(status.get("account"))
    context = {
        "author_handle": str(account.get("acct") or account.get("username") or ""),
        "visibility": str(status.get("visibility") or ""),
    }
    return {key: value for key, value in context.items() if value}


def _optional_time(value: Any):
    try:
        return parse_time(value) if value else None
    except ItemInvalid:
        return None


def _created_id(body: Any) -> str:
    if not isinstance(body, dict) or not body.get("id"):
        raise ConnectorError(f"Mastodon did not return the new status id: {str(body)[:200]}")
    return str(body["id"])
