"""Conditional GET for what clients poll: a weak ETag, and `If-None-Match` answered 304 Not Modified.

Every ETag is scoped to the viewer (user id, language, time zone) and the full path, so two people never
share one and a change of language or query is a new representation. The tag is computed one of two ways:

- **rows** (`ConditionalListMixin`, `etag_from = "rows"`): from the page's rows as fetched, before they
  are serialised; the 304 skips serialisation and rendering, which is most of a list's time
  (docs/PERFORMANCE.md). Only for a serialiser whose output is a function of the rows alone (their
  fields, `select_related` and prefetched objects) — no clock (`is_overdue`), no extra query. The rows
  are still read: no table here carries a change marker every writer keeps (bulk UPDATEs, the
  ingestion INSERT), so the rows themselves are the marker; a view that names `shared_page_stream`
  skips even that while its stream is quiet (`crisisdesk.shared_pages`).
- **body** (`etag_from = "body"`): from the rendered body, for a list whose output also depends on the
  clock (an escalation's `is_overdue`); it saves the bandwidth, not the work. Not for a body that states
  the instant it was computed (the dashboard's `generated_at` and range): no two of those are equal.

Weak tags (`W/"…"`) on purpose: they name the representation, not its bytes (compression on the way
changes the bytes), and `If-None-Match` compares weakly anyway. `Cache-Control: private, no-cache` lets
the browser keep the body and makes it revalidate each time, so a `fetch()` poll sends `If-None-Match`
by itself. A 304 is decided inside the view, after authentication, permissions and throttling: whoever
would get 401 or 403 still gets it.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Callable, Iterable
from typing import Any, Literal

from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags
from rest_framework.response import Response

from crisisdesk.shared_pages import (
    PageSlot,
    SharedPage,
    page_body,
    page_slot,
    shared_page_keep,
    shared_page_read,
    shared_pages_enabled,
)

# Bumped when what goes into a tag changes, so tags from an older release never match.
ETAG_VERSION = "1"
VARY = ("Cookie", "Authorization", "Accept-Language")


def representation_etag(request: HttpRequest, parts: Iterable[str]) -> str:
    """A weak ETag for what this viewer gets at this path, from `parts` that determine the body."""
    digest = hashlib.blake2b(digest_size=16)
    user = getattr(request, "user", None)
    viewer = str(user.pk) if user is not None and user.is_authenticated else "-"
    scope = (ETAG_VERSION, viewer, translation.get_language() or "", timezone.get_current_timezone_name())
    for part in (*scope, request.get_full_path(), *parts):
        digest.update(part.encode())
        digest.update(b"\x00")
    return f'W/"{digest.hexdigest()}"'


def etag_matches(request: HttpRequest, etag: str) -> bool:
    """`If-None-Match` by weak comparison (RFC 9110 §13.1.2)."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    return any(tag == "*" or tag.removeprefix("W/") == wanted for tag in parse_etags(header))


def revalidated(response: HttpResponseBase, etag: str) -> HttpResponseBase:
    """The headers a 200 and its 304 both carry: the tag, revalidate every time, and what varies."""
    response.headers["ETag"] = etag
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, VARY)
    return response


def not_modified(etag: str) -> HttpResponseBase:
    return revalidated(HttpResponseNotModified(), etag)


def answer_conditionally(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """A successful GET's rendered body tagged, or a 304 when the client holds it already."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.streaming:
        return response
    if isinstance(response, Response) and not response.is_rendered:
        response.render()
    content = response.content  # type: ignore[attr-defined]
    etag = representation_etag(request, [hashlib.blake2b(content, digest_size=16).hexdigest()])
    return not_modified(etag) if etag_matches(request, etag) else revalidated(response, etag)


def rows_fingerprint(rows: list[Any]) -> str:
    """A digest of the rows as fetched: plain `.values()` dicts, or model instances with their loaded relations.

    A page of dicts is pickled in one call (C code; `fast` mode keeps no memo, so equal rows give equal
    bytes whatever objects they share); repr() of every value cost 6 % of a request's CPU under load.
    """
    if all(isinstance(row, dict) for row in rows):
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fast = True
        pickler.dump(rows)
        return hashlib.blake2b(buffer.getbuffer(), digest_size=16).hexdigest()
    return "\x00".join(repr(_row_state(row)) for row in rows)


def _row_state(row: Any) -> Any:
    if isinstance(row, dict):
        return sorted(row.items())
    if not isinstance(row, Model):
        raise TypeError(f"Cannot fingerprint a {type(row).__name__} row; use etag_from = 'body'.")
    fields = sorted((name, value) for name, value in vars(row).items() if not name.startswith("_"))
    related = sorted(
        (name, _row_state(value) if value is not None else None) for name, value in row._state.fields_cache.items()
    )
    prefetched = getattr(row, "_prefetched_objects_cache", {})
    many = sorted((name, [_row_state(item) for item in items]) for name, items in prefetched.items())
    return (row._meta.label, fields, related, many)


class ConditionalListMixin:
    """For a DRF `ListAPIView`: the list with a weak ETag and 304 Not Modified (see the module).

    A view that names `shared_page_stream` also shares its rendered pages between the viewers of one
    `shared_page_scope` until that stream announces a change (`crisisdesk.shared_pages`).
    """

    etag_from: Literal["rows", "body"] = "rows"
    shared_page_stream: str | None = None

    # Provided by GenericAPIView, which this is mixed into.
    filter_queryset: Callable[[Any], Any]
    get_queryset: Callable[[], Any]
    paginate_queryset: Callable[[Any], Any]
    get_serializer: Callable[..., Any]
    get_paginated_response: Callable[[Any], Response]
    paginator: Any

    def shared_page_scope(self, request) -> str | None:
        """Who may be served the same page as this viewer (None: nobody, read it afresh)."""
        return None

    def list(self, request, *args, **kwargs):
        if self.etag_from == "body":
            return super().list(request, *args, **kwargs)
        slot = self._shared_slot(request)
        if slot is not None and self.shared_page_stream is not None:
            kept, slot = shared_page_read(slot, stream_group=self.shared_page_stream)
            if kept is not None:
                etag = representation_etag(request, kept.etag_parts)
                if etag_matches(request, etag):
                    return not_modified(etag)
                return revalidated(HttpResponse(kept.body, content_type="application/json"), etag)
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(queryset) if page is None else page
        links = [] if page is None else [str(self.paginator.get_next_link()), str(self.paginator.get_previous_link())]
        parts = (*links, rows_fingerprint(rows))
        etag = representation_etag(request, parts)
        if etag_matches(request, etag):
            return not_modified(etag)
        data = self.get_serializer(rows, many=True).data
        self._shared_keep = None if slot is None else (slot, parts)
        return revalidated(Response(data) if page is None else self.get_paginated_response(data), etag)

    def _shared_slot(self, request) -> PageSlot | None:
        if self.shared_page_stream is None or not shared_pages_enabled():
            return None
        if getattr(request.accepted_renderer, "format", None) != "json":
            return None
        scope = self.shared_page_scope(request)
        return None if scope is None else page_slot(request, stream_group=self.shared_page_stream, scope=scope)

    def finalize_response(self, request, response, *args, **kwargs):
        """The body is tagged once rendered, which DRF does only here; a fresh shared page is kept then too."""
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.etag_from == "body":
            return answer_conditionally(request, response)
        keep: tuple[PageSlot, tuple[str, ...]] | None = getattr(self, "_shared_keep", None)
        if keep is not None and isinstance(response, Response):
            response.render()
            body = page_body(response)
            if body is not None:
                shared_page_keep(keep[0], SharedPage(body=body, etag_parts=keep[1]))
        return response
