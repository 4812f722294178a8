"""RSS 2.0 and Atom feeds (forums, complaint sites, news searches).

The feed is fetched with the connector's HTTP client, sending the stored ETag and Last-Modified as
If-None-Match / If-Modified-Since; a 304 means nothing is new. Every poll reads the whole feed and
the pipeline's (channel, external id) uniqueness drops what was already stored. An entry without a
date is kept with the time it was read: a mention without a date is still a mention.
"""

from __future__ import annotations

import calendar
import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import feedparser
from django.utils import timezone

from inbox.connectors.base import (
    Connector,
    ConnectorError,
    FetchResult,
    ItemInvalid,
    NormalizedAuthor,
    NormalizedMention,
)
from inbox.connectors.normalise import as_object, html_to_text


class RssConnector(Connector):
    kind = "rss"

    def fetch_since(self, cursor: dict[str, Any]) -> FetchResult:
        url = self.config.get("url") or self.base_url
        if not url:
            raise ConnectorError("The feed channel needs the feed URL.")
        headers = {"Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.5"}
        if cursor.get("etag"):
            headers["If-None-Match"] = cursor["etag"]
        if cursor.get("last_modified"):
            headers["If-Modified-Since"] = cursor["last_modified"]
        response = self.get_json(url, headers=headers)
        if response.status_code == 304:
            return FetchResult(next_cursor=dict(cursor))
        result = self.parse_payload(response.content)
        result.next_cursor = {
            key: value
            for key, value in {
                "etag": response.headers.get("etag", ""),
                "last_modified": response.headers.get("last-modified", ""),
            }.items()
            if value
        }
        return result

    def parse_payload(self, payload: Any) -> FetchResult:
        """Accept the feed document as bytes or text."""
        if isinstance(payload, str):
            payload = payload.encode("utf-8", "surrogatepass")
        if not isinstance(payload, bytes | bytearray):
            raise ConnectorError("A feed payload must be the feed document.")
        feed = feedparser.parse(bytes(payload))
        if not feed.get("version") and not feed.entries:
            reason = getattr(feed.get("bozo_exception"), "args", ["unknown format"])[0]
            raise ConnectorError(f"Not an RSS or Atom feed: {reason}")
        source = str(feed.feed.get("link") or feed.feed.get("title") or "feed")
        result = FetchResult()
        title = str(feed.feed.get("title", ""))
        for entry in feed.entries:
            result.collect(dict(entry), self.normalise, entry, source=source, source_title=title)
        return result

    def normalise(self, entry: Any, *, source: str, source_title: str) -> NormalizedMention:
        if not isinstance(entry, dict):
            raise ItemInvalid(f"feed entry is not an object: {str(entry)[:80]}")
        link = str(entry.get("link") or "")
        external_id = str(entry.get("id") or link).strip()
        title = html_to_text(str(entry.get("title") or ""))
        content = entry.get("content")
        first = content[0] if isinstance(content, list) and content else None
        body_html = first.get("value") if isinstance(first, dict) else entry.get("summary")
        body = html_to_text(str(body_html or ""))
        text = "\n\n".join(part for part in (title, body) if part)
        if not text:
            raise ItemInvalid("'title' and 'summary' are missing or empty")
        if not external_id:
            external_id = "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        if len(external_id) > 128:
            external_id = "sha256:" + hashlib.sha256(external_id.encode("utf-8", "surrogatepass")).hexdigest()
        posted_at = _entry_time(entry.get("published_parsed") or entry.get("updated_parsed"))
        author_name = str(entry.get("author") or "").strip()
        author_detail = as_object(entry.get("author_detail"))
        if author_name:
            author = NormalizedAuthor(
                external_id=str(author_detail.get("href") or author_name)[:128],
                handle=author_name,
                display_name=author_name,
            )
        else:
            author = NormalizedAuthor(
                external_id=f"feed:{urlparse(source).netloc or source}"[:128], display_name=source_title
            )
        return NormalizedMention(
            external_id=external_id,
            text=text,
            posted_at=posted_at,
            author=author,
            conversation_id=external_id,
            url=link if link.startswith(("http://", "https://")) else "",
            language=str(entry.get("language") or "")[:8],
            raw={
                "id": external_id,
                "link": link,
                "title": title,
                "tags": [tag.get("term") for tag in _list(entry.get("tags")) if isinstance(tag, dict)],
            },
        )


def _entry_time(parsed: Any) -> datetime:
    """feedparser's time tuple; an entry without a readable date is kept with the time it was read."""
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
