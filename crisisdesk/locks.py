"""Named locks held for the rest of a transaction, for rules no unique constraint can state.

"One open crisis per brand and type, unless another is explicitly wanted" cannot be a partial unique
index (the exception is the user's choice), so two people declaring at once serialise on a lock
named after the brand and type. On PostgreSQL it is an advisory transaction lock; the embedded
SQLite database already serialises writers, so there it is a no-op.
"""

from __future__ import annotations

import zlib

from django.db import connection


def transaction_lock(name: str) -> None:
    """Wait for, then hold until commit or rollback, the lock called `name`. Call inside `atomic()`."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x43524953, _key(name)])


def transaction_lock_try(name: str) -> bool:
    """Take the lock called `name` for the rest of the transaction if nobody holds it; never wait.

    For work any one worker may do for all (folding counters): whoever gets the lock does it, the
    others go on. The embedded SQLite database has one writer, so there it is always taken.
    """
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [0x43524953, _key(name)])
        return bool(cursor.fetchone()[0])


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8")) - 2**31
