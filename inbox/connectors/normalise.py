"""Pieces several adapters share: HTML to plain text, thread roots, authors a payload did not name."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from inbox.connectors.base import ItemInvalid, NormalizedAuthor, NormalizedMention

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


MAX_COUNT = 2_147_483_647  # a PostgreSQL integer: follower counts beyond it are clamped, not a failed batch


def as_int(value: Any) -> int:
    try:
        return min(MAX_COUNT, max(0, int(value or 0)))
    except (TypeError, ValueError, OverflowError):
        return 0


def engagement_sum(metrics: Any, *names: str) -> int:
    """The sum of a payload's engagement counters (likes, reposts, replies…), missing ones as 0."""
    counters = as_object(metrics)
    return as_int(sum(as_int(counters.get(name)) for name in names))


# The pipeline's one validation step -----------------------------------------------------------


def as_object(value: Any) -> dict[str, Any]:
    """A payload's nested object, or an empty one when it is missing or not an object."""
    return value if isinstance(value, dict) else {}


def http_url(value: Any) -> str:
    """Only http(s) links are kept: a stranger's `javascript:` or `data:` URL must never become a link."""
    text = str(value or "").strip()
    return text[:500] if text.lower().startswith(("http://", "https://")) else ""


ID_FIELDS = ("external_id", "conversation_id", "in_reply_to_external_id")
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, tzinfo=UTC)


def mention_checked(item: NormalizedMention) -> NormalizedMention:
    """The mention as PostgreSQL can store it, or ItemInvalid with a reason "code: why".

    Every connector's output passes through here (`inbox.services.mentions_ingest`), so one bad item
    becomes a dead letter instead of failing its batch. What no one reads back exactly is repaired:
    NUL is dropped from texts and names, and the raw payload loses NUL and lone surrogates. What
    identifies or is the mention is refused instead: an id with NUL or control characters (stripping
    could merge two items), and text or names with a lone surrogate (the sender's encoding is broken).
    """
    if not isinstance(item, NormalizedMention):
        raise ItemInvalid(f"invalid_item: not a mention: {type(item).__name__}")
    external_id = _checked_id(item.external_id, "invalid_id", required=True)
    text = _checked_text(item.text, "text")
    if not text.strip():
        raise ItemInvalid("empty_text: the mention has no text")
    posted_at = _checked_time(item.posted_at)
    author = item.author
    if not isinstance(author, NormalizedAuthor):
        raise ItemInvalid("invalid_author: the mention has no author")
    author = NormalizedAuthor(
        external_id=_checked_id(author.external_id, "invalid_author", required=True),
        handle=_checked_text(author.handle, "author handle")[:128],
        display_name=_checked_text(author.display_name, "author name")[:200],
        followers=as_int(author.followers),
        verified=author.verified is True,
        account_created_at=_optional_checked_time(author.account_created_at),
    )
    return NormalizedMention(
        external_id=external_id,
        text=text,
        posted_at=posted_at,
        author=author,
        conversation_id=_checked_id(item.conversation_id, "invalid_thread"),
        in_reply_to_external_id=_checked_id(item.in_reply_to_external_id, "invalid_thread"),
        url=_checked_text(item.url, "url").strip()[:500],
        language=_checked_text(item.language, "language")[:8],
        raw=_checked_raw(item.raw),
        engagement=as_int(item.engagement),
    )


def _checked_id(value: Any, code: str, *, required: bool = False) -> str:
    value = "" if value is None and not required else value
    if not isinstance(value, str) or len(value) > 128 or (required and not value.strip()):
        raise ItemInvalid(f"{code}: id missing, not text or longer than 128 characters: {str(value)[:40]!r}")
    if not value.isprintable() or not _is_utf8(value):
        raise ItemInvalid(f"{code}: id with control characters or a lone surrogate: {value[:40]!r}")
    return value


def _checked_text(value: Any, field_name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ItemInvalid(f"invalid_text: {field_name} is not text: {type(value).__name__}")
    if not _is_utf8(value):
        raise ItemInvalid(f"invalid_text: {field_name} has a lone surrogate (broken UTF-16): {value[:40]!r}")
    return value.replace("\x00", "")


def _checked_time(value: Any) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ItemInvalid(f"invalid_date: posted_at is not an aware datetime: {str(value)[:40]!r}")
    try:
        in_utc = value.astimezone(UTC)
    except (OverflowError, ValueError) as error:
        raise ItemInvalid(f"invalid_date: posted_at is out of range: {value!r}") from error
    if not EARLIEST <= in_utc <= LATEST:
        raise ItemInvalid(f"invalid_date: posted_at is out of range: {value.isoformat()}")
    return in_utc


def _optional_checked_time(value: Any) -> datetime | None:
    try:
        return _checked_time(value) if value is not None else None
    except ItemInvalid:
        return None


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _checked_raw(raw: Any) -> dict[str, Any]:
    """The payload as jsonb takes it: JSON types only, no NUL, no lone surrogate (the C encoder is the fast path)."""
    if not isinstance(raw, dict):
        raw = {"value": raw} if raw is not None else {}
    try:
        encoded = json.dumps(raw, ensure_ascii=False)
    except (TypeError, ValueError):
        return _storable_json(json.loads(json.dumps(raw, default=str, ensure_ascii=False)))
    if "\\u0000" in encoded or not _is_utf8(encoded):
        return _storable_json(raw)
    return raw


def _storable_json(value: Any) -> Any:
    if isinstance(value, str):
        return storable_text(value, escape=False)
    if isinstance(value, dict):
        return {storable_text(str(key), escape=False): _storable_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable_json(item) for item in value]
    return value


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(text: str, *, escape: bool = True) -> str:
    """Text PostgreSQL accepts: NUL and lone surrogates escaped as `\\u0000`/`\\ud800` (or dropped and
    replaced by U+FFFD with `escape=False`). Astral characters are whole code points and are kept."""
    if escape:
        return LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text.replace("\x00", "\\u0000"))
    return LONE_SURROGATE.sub("\ufffd", text.replace("\x00", ""))
