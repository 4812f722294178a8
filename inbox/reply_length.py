r"""How long a reply is, counted the way its network counts, so the composer never lets through what the
platform would refuse or cut.

Pure: no database, no network. Each connector declares its rule once (`Capabilities.length_unit`, and
`max_bytes` where the network also limits bytes); this module is the one place that applies it, and the
server's count (`reply_length`) is the one that refuses. `static/js/composer.js` mirrors the same rules for
the live counter (graphemes with `Intl.Segmenter`, the same UAX #29 clusters as the `regex` module's `\X`).

- "x" (twitter-text v3): the text in NFC; every URL weighs 23; an emoji sequence weighs 2; a code point
  in the Latin, general-punctuation ranges weighs 1, any other (CJK, …) 2.
- "mastodon": every URL weighs 23 and `@user@instance` counts as `@user`; other text in code points
  (Mastodon counts grapheme clusters, which are never more than code points: the count is on the safe side).
- "graphemes" (Bluesky): extended grapheme clusters — a family emoji, a flag, "e" + combining acute, a
  Devanagari conjunct each count once — and the UTF-8 bytes against `max_bytes` (Bluesky: 300 and 3000).
- "bytes" (Google Business Profile): UTF-8 bytes (a review reply holds at most 4096 bytes).
- "characters": code points.
"""

from __future__ import annotations

import re
import unicodedata

import regex

from inbox.connectors import capabilities_for

URL_WEIGHT = 23
# A URL as the networks link it: with a scheme, from "www.", or a bare domain with a common top-level domain.
URL_PATTERN = re.compile(
    r"(?:https?://|www\.)[^\s<>\"]+"
    r"|(?<![\w@.])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|org|net|es|io|co|info|eu|me|tv|ly|app|dev)"
    r"(?![\w-])(?:/[^\s<>\"]*)?",
    re.IGNORECASE,
)
MASTODON_MENTION = re.compile(r"(?<![\w/])(@\w+)@[\w.-]+\w", re.UNICODE)
EMOJI_PART = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u3030\u303d\u3297\u3299"
EMOJI_SEQUENCE = re.compile(
    "[\U0001f1e6-\U0001f1ff]{2}"  # a flag: two regional indicators
    f"|[{EMOJI_PART}][\ufe0f\U0001f3fb-\U0001f3ff]*(?:\u200d[{EMOJI_PART}][\ufe0f\U0001f3fb-\U0001f3ff]*)*"
    "|[#*0-9]\ufe0f?\u20e3"  # keycaps
)
# twitter-text v3: these ranges weigh 1, anything else 2.
X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
X_TOKENS = re.compile(f"(?P<url>{URL_PATTERN.pattern})|(?P<emoji>{EMOJI_SEQUENCE.pattern})", re.IGNORECASE)
LENGTH_UNITS = ("characters", "graphemes", "x", "mastodon", "bytes")
GRAPHEME = regex.compile(r"\X")


def count_mode(kind: str) -> str:
    """The counting rule the kind's connector declares: one of `LENGTH_UNITS`."""
    unit = capabilities_for(kind).length_unit
    return unit if unit in LENGTH_UNITS else "characters"


def grapheme_count(text: str) -> int:
    """Extended grapheme clusters (Unicode UAX #29), what a reader sees as one character each."""
    return sum(1 for _ in GRAPHEME.finditer(text))


def _x_weight(char: str) -> int:
    point = ord(char)
    return 1 if any(low <= point <= high for low, high in X_LIGHT_RANGES) else 2


def _count_x(text: str) -> int:
    text = unicodedata.normalize("NFC", text)
    total, position = 0, 0
    for match in X_TOKENS.finditer(text):
        total += sum(_x_weight(char) for char in text[position : match.start()])
        total += URL_WEIGHT if match.group("url") else 2
        position = match.end()
    return total + sum(_x_weight(char) for char in text[position:])


def _count_mastodon(text: str) -> int:
    text = MASTODON_MENTION.sub(r"\1", text)
    urls = URL_PATTERN.findall(text)
    return len(URL_PATTERN.sub("", text)) + URL_WEIGHT * len(urls)


def reply_length(*, text: str, kind: str) -> int:
    """The length of `text` (signature included, as it will be published) by the network's own rule."""
    mode = count_mode(kind)
    if mode == "x":
        return _count_x(text)
    if mode == "mastodon":
        return _count_mastodon(text)
    if mode == "bytes":
        return len(text.encode("utf-8", "surrogatepass"))
    if mode == "graphemes":
        return grapheme_count(text)
    return len(text)


def reply_bytes(*, text: str) -> int:
    """The reply's size in UTF-8 bytes, for the networks that limit bytes too (`Capabilities.max_bytes`)."""
    return len(text.encode("utf-8", "surrogatepass"))


def reply_byte_limit(*, kind: str) -> int:
    """The most UTF-8 bytes the network takes in a reply; 0 where it sets no byte limit."""
    capabilities = capabilities_for(kind)
    return capabilities.max_bytes if capabilities.reply else 0


def reply_limit(*, kind: str) -> int:
    """The longest reply the network takes; 0 where the channel cannot reply at all."""
    capabilities = capabilities_for(kind)
    return capabilities.max_length if capabilities.reply else 0


def post_limit(*, kind: str) -> int:
    """The longest brand post the network takes (counted as replies are); 0 where Crisis Desk cannot post."""
    capabilities = capabilities_for(kind)
    return capabilities.max_length if capabilities.publish else 0
