"""Reads that may come from a read replica, and only those.

With DATABASE_REPLICA_URL set there is a `replica` database alias (crisisdesk.settings_parts.database_replica).
A replica lags its primary by a moment, so no read goes there by default: only code that says it can live with
a slightly old answer — the director dashboard's figures, the report's charts, a page's counts — runs inside
`replica_reads()` (or is decorated with `replica_tolerant`). Everything else, every write, and every read inside
a transaction on the primary (it must see its own writes) goes to `default`. Without a replica, `replica_reads()`
changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import connections

REPLICA = "replica"
PRIMARY = "default"

_REPLICA_TOLERANT: ContextVar[bool] = ContextVar("crisisdesk_replica_tolerant", default=False)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block may be answered by the replica (a context variable: threads and tasks are apart)."""
    token = _REPLICA_TOLERANT.set(True)
    try:
        yield
    finally:
        _REPLICA_TOLERANT.reset(token)


def replica_tolerant(function: Callable[P, R]) -> Callable[P, R]:
    """A selector whose every read may be a moment old."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads():
            return function(*args, **kwargs)

    return wrapper


def replica_available() -> bool:
    return REPLICA in settings.DATABASES


def read_alias() -> str:
    """Where a read made now goes: the replica inside `replica_reads()` (outside a primary transaction), else the
    primary. Raw SQL takes its cursor from `connections[read_alias()]` to follow the same rule."""
    if not _REPLICA_TOLERANT.get() or not replica_available():
        return PRIMARY
    if connections[PRIMARY].in_atomic_block:  # a transaction reads what it wrote, and that is on the primary
        return PRIMARY
    return REPLICA


class ReplicaRouter:
    """Django's database router for the above (DATABASE_ROUTERS)."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return REPLICA if read_alias() == REPLICA else None

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return PRIMARY if replica_available() else None

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool | None:
        return True if replica_available() else None  # the replica is a copy of the primary: same rows

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return False if db == REPLICA else None  # the replica follows the primary by replication, not migrations
