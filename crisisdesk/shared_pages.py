"""A polled page rendered once and served to everyone who may see it, until its stream says it changed.

A thousand consoles that hear `mention.new` all ask for the same first page of the inbox within the
same second; computing it a thousand times was most of the web's CPU under load (docs/PERFORMANCE.md).
A page is kept under a key made of everything its body depends on (path and query, host, language,
time zone, the viewer's scope) together with the number its stream had when it was read
(`crisisdesk.realtime.stream_numbers`). Every writer that changes what the page shows announces it on
that stream after its transaction commits, which moves the number, so a page read before the change is
never served after it. Writes that are not announced (the model tier shedding its backlog rewrites
reasons silently) are bounded by the entry's lifetime, `SHARED_PAGE_SECONDS`.

Only a rendered JSON 200 is kept; the ETag a viewer gets is computed for that viewer from the parts
kept with the body (`crisisdesk.conditional.representation_etag`), the same tag a fresh read gives.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone, translation

from crisisdesk.realtime import SEQUENCE_COUNTER

logger = logging.getLogger(__name__)

SHARED_PAGE_SLOT = "shared-page:v1:{}"


@dataclass(frozen=True)
class SharedPage:
    """What a fresh read produced: the JSON body and the parts its ETag is made from."""

    body: bytes
    etag_parts: tuple[str, ...]


@dataclass(frozen=True)
class PageSlot:
    """Where one read of a page would be kept, and the stream's number when the read began."""

    key: str
    stream_number: int


def page_slot(request: HttpRequest, *, stream_group: str, scope: str) -> PageSlot:
    """The key of this request's page for viewers of `scope`; the stream's number is read later."""
    digest = hashlib.blake2b(digest_size=16)
    parts = (
        scope,
        request.get_host(),
        request.get_full_path(),
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        stream_group,
    )
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\x00")
    return PageSlot(key=SHARED_PAGE_SLOT.format(digest.hexdigest()), stream_number=0)


def shared_page_read(slot: PageSlot, *, stream_group: str) -> tuple[SharedPage | None, PageSlot]:
    """The kept page if it was read at the stream's current number, and the slot stamped with that number.

    One round trip for both keys. A cache that cannot answer is a miss: the page is read from the database.
    """
    counter = SEQUENCE_COUNTER.format(stream_group)
    try:
        found = cache.get_many([counter, slot.key])
    except Exception:
        logger.warning("The shared page cache did not answer; reading the page itself", exc_info=True)
        return None, slot
    number = int(found.get(counter) or 0)
    stamped = PageSlot(key=slot.key, stream_number=number)
    kept = found.get(slot.key)
    if not isinstance(kept, tuple) or len(kept) != 3 or kept[0] != number:
        return None, stamped
    return SharedPage(body=kept[1], etag_parts=tuple(kept[2])), stamped


def shared_page_keep(slot: PageSlot, page: SharedPage) -> None:
    """Keep the page for `SHARED_PAGE_SECONDS`; a failure only costs the next reader a read."""
    try:
        cache.set(slot.key, (slot.stream_number, page.body, list(page.etag_parts)), settings.SHARED_PAGE_SECONDS)
    except Exception:
        logger.warning("Could not keep a shared page", exc_info=True)


def shared_pages_enabled() -> bool:
    return bool(getattr(settings, "SHARED_PAGE_SECONDS", 0))


def page_body(response: Any) -> bytes | None:
    """The rendered body of a JSON 200, which is all that is ever kept."""
    renderer = getattr(response, "accepted_renderer", None)
    if response.status_code != 200 or getattr(renderer, "format", None) != "json":
        return None
    return bytes(response.content)
