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


def session_locks_try(space: int, keys: list[int]) -> list[int]:
    """Take, for this database session, the locks of `keys` in `space` that nobody holds; never wait.

    Unlike the transaction locks above they outlive commits, so work prepared outside a transaction
    (parsed, triaged) is known to be this process's alone until `session_locks_release`; a process that
    dies loses them with its connection. Keys are 32-bit. The embedded SQLite database has one writer,
    so there every key is taken.
    """
    if not keys or connection.vendor != "postgresql":
        return list(keys)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key FROM unnest(%s::integer[]) WITH ORDINALITY AS wanted(key, position)"
            " WHERE pg_try_advisory_lock(%s, key) ORDER BY position",
            [list(keys), space],
        )
        return [int(row[0]) for row in cursor.fetchall()]


def session_locks_release(space: int, keys: list[int]) -> None:
    if not keys or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_unlock(%s, key) FROM unnest(%s::integer[]) AS held(key)", [space, list(keys)]
        )
