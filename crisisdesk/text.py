"""Text hygiene every app shares: one-line fields, e-mail subjects and people's display names.

Titles and names are written by users (or by strangers, for mention authors) and end up in e-mail
headers and beside other people's names on screen. A line break in a subject makes the mail
library refuse the whole message; a right-to-left override in a name makes it read as someone
else's. The checks live here once, so every form, serializer and service applies the same rule.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Embeddings, overrides, isolates and marks that reorder text around them (Unicode TR9).
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
    "\u200e\u200f\u061c"  # LRM, RLM, ALM
)
_BIDI_PATTERN = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")
# C0 and C1 controls and DEL (category Cc), and the Unicode line and paragraph separators.
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LINE_BREAKING_RUN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")

SINGLE_LINE_MESSAGE = _("Use a single line of text, without line breaks or control characters.")


def strip_bidi_controls(value: str) -> str:
    """Remove the characters that reorder the text around them; the letters themselves stay."""
    return _BIDI_PATTERN.sub("", value or "")


def clean_display_name(value: Any) -> str:
    """A person's or an author's name as it may be stored and shown: one line, no bidi controls."""
    text = strip_bidi_controls(str(value or ""))
    return " ".join(_LINE_BREAKING_RUN.sub(" ", text).split())


def user_display_name(user: Any) -> str:
    """How the console names a user everywhere: full name, else username; "" for nobody."""
    if user is None:
        return ""
    return clean_display_name(user.get_full_name()) or user.username


def has_control_characters(value: str) -> bool:
    return bool(_LINE_BREAKING.search(value or ""))


def validate_single_line(value: str) -> None:
    """Validator for fields that end up in e-mail subjects or headers (titles, names)."""
    if has_control_characters(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="control_characters")


def header_safe(value: Any, *, limit: int = 200) -> str:
    """Defence in depth for subjects built from stored values: control characters fold into a space.

    A value that slipped past validation (old rows, imports) must never make a send fail.
    """
    text = strip_bidi_controls(unicodedata.normalize("NFC", str(value or "")))
    return " ".join(_LINE_BREAKING_RUN.sub(" ", text).split())[:limit]


TEMPLATE_VARIABLE = re.compile(r"\{(\w+)\}")


def template_render(body: str, variables: dict[str, str]) -> str:
    """Fill `{nombre}`-style variables; unknown ones stay visible so nobody publishes a blank."""
    return TEMPLATE_VARIABLE.sub(lambda match: variables.get(match.group(1), match.group(0)), body)
