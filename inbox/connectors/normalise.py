"""Pieces several adapters share: HTML to plain text, thread roots, authors a payload did not name."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from inbox.connectors.base import ItemInvalid, NormalizedAuthor

BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "tr",
        "table",
        "blockquote",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    }
)
SKIPPED_TAGS = frozenset({"script", "style"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCK_TAGS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Strip tags, keep paragraph and line breaks, unescape entities: plain text, never markup."""
    if not html:
        return ""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in "".join(extractor.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def conversation_root(external_id: str, parents: Mapping[str, str]) -> str:
    """Follow in-reply-to links known in this batch up to the oldest message we can see."""
    current, seen = external_id, {external_id}
    while parents.get(current):
        current = parents[current]
        if current in seen:
            break
        seen.add(current)
    return current


def unknown_author(item_id: str) -> NormalizedAuthor:
    """A payload that names no author (an expansion was not requested) still yields its mention.

    The author is keyed by the item, so anonymous items never pool into one invented "repeat complainer".
    """
    return NormalizedAuthor(external_id=f"unknown:{item_id}"[:128])


def snowflake_time(external_id: str, *, epoch_ms: int) -> datetime:
    """X and Mastodon ids carry their creation time in the high bits; used when a payload omits the date."""
    if not external_id.isdigit():
        raise ItemInvalid(f"'created_at' is missing and the id {external_id!r} carries no time")
    return datetime.fromtimestamp(((int(external_id) >> 22) + epoch_ms) / 1000, tz=UTC)


def as_int(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0
