"""The inbox as a work queue: its orders and keyset ("cursor") pages over the whole queue.

A page ends with an opaque cursor holding the last row's sort key; the next page starts strictly after
it, so rows arriving or leaving meanwhile never duplicate or skip a row the way an offset would.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from inbox.models import MentionStatus
from inbox.selectors import newest_first_windows, search_reads_windows

# Each order is a list of (field, descending); the last field is unique, so the order is total.
SORTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "priority": (("priority", True), ("received_at", False), ("id", False)),
    "newest": (("received_at", True), ("id", True)),
    "oldest": (("received_at", False), ("id", False)),
}
DEFAULT_SORT = "priority"
SORT_CHOICES = [
    ("priority", _("Priority, then waiting longest")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
]


class QueueCursorInvalid(ValueError):
    """A cursor that was not made by `queue_cursor_encode` for this order."""


@dataclass(frozen=True)
class QueuePage:
    rows: list[Any]
    next_cursor: str


def queue_sort(value: str | None, *, search: str = "", status: str = "") -> str:
    """The order asked for; without one, priority then waiting time, except for a search through answered
    history, which reads newest first (recent windows first, `inbox_queue_page`): no window bounds
    a priority order, and a common word matches tens of thousands of old mentions."""
    if value in SORTS:
        return value
    return "newest" if search_reads_windows(search=search, status=status) else DEFAULT_SORT


def queue_order(queryset: QuerySet, *, sort: str) -> QuerySet:
    """The queryset in one of `SORTS`; "priority" matches the `mention_work_queue` index."""
    return queryset.order_by(*[f"-{name}" if descending else name for name, descending in SORTS[sort]])


def _value(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)


def queue_cursor_encode(row: Any, *, sort: str) -> str:
    """The cursor after `row` (a mention or a `.values()` dict) in the `sort` order."""
    key = []
    for name, _descending in SORTS[sort]:
        value = _value(row, name)
        key.append(value.isoformat() if isinstance(value, datetime) else value)
    raw = json.dumps([sort, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def queue_cursor_decode(cursor: str, *, sort: str) -> list[Any]:
    """The sort key inside `cursor`; raises `QueueCursorInvalid` for a damaged or foreign one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise QueueCursorInvalid(str(error)) from error
    fields = SORTS[sort]
    if not isinstance(data, list) or len(data) != len(fields) + 1 or data[0] != sort:
        raise QueueCursorInvalid("cursor for another order")
    key = []
    for (name, _descending), value in zip(fields, data[1:], strict=True):
        if name == "received_at":
            value = parse_datetime(value) if isinstance(value, str) else None
        if value is None or (name != "received_at" and not isinstance(value, int)):
            raise QueueCursorInvalid(f"bad {name}")
        key.append(value)
    return key


def _after_terms(sort: str, key: Sequence[Any]) -> list[Q]:
    """The rows after `key`, as one condition per sort field, most specific first.

    (a, b, c) after (x, y, z) is: a=x, b=y, c after z; or a=x, b after y; or a after x. Each term is a
    range on a prefix of the index, and the terms' rows follow each other in the sort order, so
    reading them one after the other gives the page in order without a row-value comparison.
    """
    fields = SORTS[sort]
    terms = []
    for position in range(len(fields) - 1, -1, -1):
        name, descending = fields[position]
        equal = {fields[index][0]: key[index] for index in range(position)}
        terms.append(Q(**equal, **{f"{name}__{'lt' if descending else 'gt'}": key[position]}))
    return terms


def queue_page(queryset: QuerySet, *, sort: str, cursor: str = "", limit: int) -> QueuePage:
    """`limit` rows of `queryset` in the `sort` order, after `cursor` (from the start if empty).

    Raises `QueueCursorInvalid` for a cursor this order did not make.
    """
    ordered = queue_order(queryset, sort=sort)
    if not cursor:
        rows = list(ordered[: limit + 1])
    else:
        rows = []
        for term in _after_terms(sort, queue_cursor_decode(cursor, sort=sort)):
            rows += list(ordered.filter(term)[: limit + 1 - len(rows)])
            if len(rows) > limit:
                break
    more = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(rows=rows, next_cursor=queue_cursor_encode(rows[-1], sort=sort) if more else "")


def response_target() -> timedelta:
    return timedelta(minutes=settings.INBOX_RESPONSE_TARGET_MINUTES)


def breach_soon_before() -> datetime:
    """Mentions received before this are about to breach (or have breached) the response target.

    "About to" is the last `INBOX_BREACH_WARNING_MINUTES` of the target: enough time to still answer.
    """
    warning = timedelta(minutes=settings.INBOX_BREACH_WARNING_MINUTES)
    return timezone.now() - max(response_target() - warning, timedelta(0))


def inbox_queue_page(
    queryset: QuerySet, *, sort: str, cursor: str = "", limit: int, search: str = "", status: str = ""
) -> QueuePage:
    """A page of the inbox; newest first over a searched history reads recent windows first.

    Each window is a prefix of the newest-first order (`selectors.newest_first_windows`), and so is
    its part after a cursor: a window that fills a page and one more row gave the page the whole
    table would.
    """
    if sort == "priority" and status == "all":
        return _queue_page_merged(queryset, cursor=cursor, limit=limit)
    if sort != "newest" or not search_reads_windows(search=search, status=status):
        return queue_page(queryset, sort=sort, cursor=cursor, limit=limit)
    for windowed in newest_first_windows(queryset):
        page = queue_page(windowed, sort=sort, cursor=cursor, limit=limit)
        if page.next_cursor:
            break
    return page


def _queue_page_merged(queryset: QuerySet, *, cursor: str, limit: int) -> QueuePage:
    """Every status by priority: each status's page read in order from `mention_queue`, merged here.

    Over all statuses PostgreSQL has no index in this order and sorts the whole history (14 s at
    20,000,000 mentions); one status at a time each page is an index range. The first `limit` rows of
    the merged pages are the first `limit` of the whole order, and the same cursor starts each status.
    """
    pages = [
        queue_page(queryset.filter(status=value), sort="priority", cursor=cursor, limit=limit + 1).rows
        for value in MentionStatus.values
    ]
    rows = list(heapq.merge(*pages, key=_priority_key))[: limit + 1]
    more = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(rows=rows, next_cursor=queue_cursor_encode(rows[-1], sort="priority") if more else "")


def _priority_key(row: Any) -> tuple[int, datetime, int]:
    return (-_value(row, "priority"), _value(row, "received_at"), _value(row, "id"))
