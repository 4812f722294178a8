"""JSON from strangers, parsed with a bound on nesting: one helper for hand-written views, one DRF parser.

Python's parser recurses once per `[` or `{`, so a 4 KB body of `[[[[…` raised RecursionError and
answered 500 on every JSON endpoint. Here the document is parsed, a RecursionError becomes the same
"invalid JSON" as any syntax error, and a document nested deeper than `JSON_MAX_DEPTH` is refused
even when Python could parse it: no payload we accept is more than a few levels deep.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

JSON_MAX_DEPTH = 64


class JsonDocumentInvalid(ValueError):
    """A body that is not JSON we accept; the message is fit to show the sender."""


def json_loads_bounded(data: str | bytes | bytearray, *, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """Parse JSON (NaN and Infinity refused), or raise JsonDocumentInvalid; never RecursionError."""
    try:
        document = json.loads(data, parse_constant=strict_constant)
    except RecursionError as error:
        raise JsonDocumentInvalid(_depth_message(max_depth)) from error
    except ValueError as error:
        raise JsonDocumentInvalid(_("The body is not valid JSON (%(error)s).") % {"error": error}) from error
    if _depth_exceeds(document, max_depth):
        raise JsonDocumentInvalid(_depth_message(max_depth))
    return document


def _depth_message(max_depth: int) -> str:
    return _("The JSON document is nested deeper than %(depth)d levels.") % {"depth": max_depth}


def _depth_exceeds(document: Any, max_depth: int) -> bool:
    """Walk without recursion: the check must not fail the way the parser did."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with `json_loads_bounded`: too deep or broken JSON is a 400, never a 500."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json_loads_bounded(text)
        except JsonDocumentInvalid as error:
            raise ParseError(str(error)) from error
        except ValueError as error:
            raise ParseError(_("The body is not valid JSON (%(error)s).") % {"error": error}) from error
