"""The generic webhook: any system that can POST our JSON shape becomes a channel.

Body: one mention `{"id", "text", "author": {"id", "handle", "name", "followers"}, "created_at",
"url"?, "in_reply_to"?, "conversation_id"?, "language"?}`, a list of them, or `{"mentions": [...]}`.
The sender proves itself with the channel's token (credentials `{"token": ...}`).
"""

from __future__ import annotations

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
    require_text,
)
from inbox.connectors.normalise import as_int, http_url


class WebhookConnector(Connector):
    kind = "webhook"
    capabilities = Capabilities(fetch=False, webhook=True)

    def token_matches(self, presented: str) -> bool:
        """Constant-time comparison; a channel without a token accepts nothing."""
        expected = str(self.credentials.get("token") or "")
        return bool(expected) and hmac.compare_digest(expected.encode(), (presented or "").encode())

    def parse_payload(self, payload: Any) -> FetchResult:
        if isinstance(payload, dict) and "mentions" in payload:
            payload = payload["mentions"]
        if isinstance(payload, dict):
            payload = [payload]
        if not isinstance(payload, list):
            raise ConnectorError('The body must be a mention object, a list of them or {"mentions": [...]}.')
        return FetchResult.of(payload, self.normalise)

    def normalise(self, item: Any) -> NormalizedMention:
        if not isinstance(item, dict):
            raise ItemInvalid(f"mention is not an object: {str(item)[:80]}")
        author = item.get("author")
        if isinstance(author, str) and author.strip():
            author = {"id": author.strip(), "handle": author.strip()}
        if not isinstance(author, dict):
            raise ItemInvalid("'author' is missing")
        author_id = require_id(author.get("id") or author.get("handle"), field_name="author.id")
        return NormalizedMention(
            external_id=require_id(item.get("id"), field_name="id"),
            text=require_text(item.get("text"), field_name="text"),
            posted_at=parse_time(item.get("created_at")),
            author=NormalizedAuthor(
                external_id=author_id,
                handle=str(author.get("handle") or "").lstrip("@"),
                display_name=str(author.get("name") or ""),
                followers=as_int(author.get("followers")),
                verified=author.get("verified") is True,
            ),
            conversation_id=str(item.get("conversation_id") or "")[:128],
            in_reply_to_external_id=str(item.get("in_reply_to") or "")[:128],
            url=http_url(item.get("url")),
            language=str(item.get("language") or "")[:8],
            raw=item,
        )
