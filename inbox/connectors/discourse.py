"""Discourse, the brand's own forum: posts pushed by its webhooks (or polled), replies and hiding.

Credentials: `{"api_key", "api_username", "webhook_secret"}`; `base_url` is the forum's root.

- Webhook: Discourse signs each delivery with HMAC-SHA256 of the raw body under the webhook's
  secret, `X-Discourse-Event-Signature: sha256=<hex>`, and names it in `X-Discourse-Event`
  (`post_created`, `post_edited`, `ping`, ...). A post event's body is `{"post": {...}}`.
- Poll (where the forum cannot reach us): `GET /posts.json` lists the latest posts newest first
  and `before=<id>` pages older; the cursor keeps the highest post id stored (`last_id`). The first
  poll reads one page, it does not backfill the whole forum.
- Reply: `GET /posts/{id}.json` gives the post's topic and number, then `POST /posts.json` with
  `topic_id`, `raw` and `reply_to_post_number`. Every call carries `Api-Key` and `Api-Username`.
- Hide: Discourse has no "hide this post" endpoint. Staff hide a post by flagging it with
  `take_action` (`POST /post_actions` with `post_action_type_id=4`, "inappropriate"), which hides
  it at once; `PUT /posts/{id}/unhide` shows it again. The API user must be staff.
- Length: the site setting `max_post_length`, 32,000 characters by default.

Small actions (post_type 3: "closed", "pinned"...), whispers (4) and our own posts are skipped.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

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
)
from inbox.connectors.normalise import as_int, as_object, html_to_text, http_url

POST_EVENTS = frozenset({"post_created", "post_edited"})
REGULAR = 1
FLAG_INAPPROPRIATE = 4


class DiscourseConnector(Connector):
    kind = "discourse"
    capabilities = Capabilities(webhook=True, reply=True, hide=True, max_length=32_000, media=True)
    max_pages = 5

    def _headers(self) -> dict[str, str]:
        key, username = self.credentials.get("api_key"), self.credentials.get("api_username")
        if not key or not username:
            raise ConnectorError("The Discourse channel needs an API key and an API username in its credentials.")
        if not self.base_url:
            raise ConnectorError("The Discourse channel needs the forum's URL.")
        return {"Api-Key": str(key), "Api-Username": str(username), "Accept": "application/json"}

    def signature_matches(self, *, body: bytes, presented: str) -> bool:
        """`sha256=<hex>` of the raw body under the webhook secret; no secret accepts nothing."""
        secret = str(self.credentials.get("webhook_secret") or "")
        if not secret or not presented:
            return False
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), presented.strip().lower().encode())

    # Fetch --------------------------------------------------------------------------------------

    def fetch_since(self, cursor: dict[str, Any]) -> FetchResult:
        headers = self._headers()
        last_id = as_int(cursor.get("last_id"))
        params: dict[str, Any] = {}
        posts: list[Any] = []
        for _ in range(self.max_pages if last_id else 1):
            page = as_object(self.decode_json(self.get_json("/posts.json", params=params, headers=headers)))
            latest = page.get("latest_posts")
            if not isinstance(latest, list):
                raise ConnectorError(f"Unexpected Discourse response: {str(page)[:200]}")
            ids = [as_int(as_object(post).get("id")) for post in latest]
            fresh = [post for post, post_id in zip(latest, ids, strict=True) if post_id > last_id or not post_id]
            posts += fresh
            known = [post_id for post_id in ids if post_id]
            if len(fresh) < len(latest) or not known or min(known) <= 1:
                break
            params = {"before": min(known) - 1}
        result = self.parse_payload({"latest_posts": posts})
        newest = max([last_id] + [as_int(as_object(post).get("id")) for post in posts])
        result.next_cursor = {"last_id": newest} if newest else dict(cursor)
        return result

    def parse_payload(self, payload: Any) -> FetchResult:
        """Accept a webhook body `{"post": ...}`, `/posts.json` (`latest_posts`), a list or one post."""
        if isinstance(payload, dict) and isinstance(payload.get("latest_posts"), list):
            items = payload["latest_posts"]
        elif isinstance(payload, dict) and "post" in payload:
            items = [payload["post"]]
        elif isinstance(payload, dict) and "post_number" in payload:
            items = [payload]
        elif isinstance(payload, list):
            items = payload
        else:
            raise ConnectorError('A Discourse payload must be {"post": ...}, /posts.json or a list of posts.')
        own = str(self.credentials.get("api_username") or "").lower()
        result = FetchResult()
        for item in items:
            if isinstance(item, dict) and _skipped(item, own):
                continue
            result.collect(item, self.normalise, item)
        return result

    def normalise(self, post: Any) -> NormalizedMention:
        if not isinstance(post, dict):
            raise ItemInvalid(f"post is not an object: {str(post)[:80]}")
        post_id = require_id(post.get("id"), field_name="id")
        topic_id = require_id(post.get("topic_id"), field_name="topic_id")
        text = html_to_text(str(post.get("cooked") or "")) or str(post.get("raw") or "").strip()
        if post.get("post_number") == 1 and post.get("topic_title"):
            text = f"{post['topic_title']}\n\n{text}".strip()
        if not text:
            raise ItemInvalid("'cooked' and 'raw' are missing or empty")
        username = str(post.get("username") or "")
        user_id = post.get("user_id")  # the forum's "system" user is -1
        author_id = str(user_id) if isinstance(user_id, int) and not isinstance(user_id, bool) else username
        return NormalizedMention(
            external_id=post_id,
            text=text,
            posted_at=parse_time(post.get("created_at")),
            author=NormalizedAuthor(
                external_id=require_id(author_id, field_name="user_id"),
                handle=username,
                display_name=str(post.get("name") or post.get("display_username") or ""),
            ),
            conversation_id=f"topic:{topic_id}",
            url=self._post_url(post, topic_id),
            raw={"post": post, "author_is_staff": post.get("staff") is True},
        )

    def _post_url(self, post: dict[str, Any], topic_id: str) -> str:
        slug = str(post.get("topic_slug") or "-")
        return http_url(f"{self.base_url}/t/{slug}/{topic_id}/{as_int(post.get('post_number')) or 1}")

    # Publish and moderate -----------------------------------------------------------------------

    def publish_reply(self, *, in_reply_to: str, text: str, context: dict[str, Any] | None = None) -> str:
        headers = self._headers()
        parent = as_object(self.decode_json(self.get_json(f"/posts/{_post_id(in_reply_to)}.json", headers=headers)))
        if not parent.get("topic_id") or not parent.get("post_number"):
            raise ConnectorError(f"Discourse did not return the post's topic and number: {str(parent)[:200]}")
        body = {"topic_id": parent["topic_id"], "raw": text, "reply_to_post_number": parent["post_number"]}
        return _created_id(self.decode_json(self.send("POST", "/posts.json", json=body, headers=headers)))

    def hide(self, *, external_id: str, hidden: bool = True) -> None:
        headers = self._headers()
        post_id = _post_id(external_id)
        if not hidden:
            self.send("PUT", f"/posts/{post_id}/unhide", headers=headers)
            return
        # Form-encoded: Discourse reads take_action as the string "true".
        form = {"id": post_id, "post_action_type_id": FLAG_INAPPROPRIATE, "flag_topic": "false", "take_action": "true"}
        self.send("POST", "/post_actions", data=form, headers=headers)


def _skipped(post: dict[str, Any], own_username: str) -> bool:
    if post.get("post_type") not in (None, REGULAR) or post.get("deleted_at"):
        return True
    return bool(own_username) and str(post.get("username") or "").lower() == own_username


def _post_id(external_id: str) -> str:
    if not str(external_id).isdigit():
        raise ConnectorError(f"A Discourse post id is a number, not {external_id!r}.")
    return str(external_id)


def _created_id(body: Any) -> str:
    if not isinstance(body, dict) or not body.get("id"):
        raise ConnectorError(f"Discourse did not return the new post's id: {str(body)[:200]}")
    return str(body["id"])
