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
    key = zlib.crc32(name.encode("utf-8"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x43524953, key - 2**31])
