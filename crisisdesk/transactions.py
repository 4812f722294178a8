"""Transaction settings shared by the apps' services."""

from __future__ import annotations

from django.db import connection


def commit_asynchronously() -> None:
    """Let this transaction's COMMIT return before its WAL reaches the disk (PostgreSQL's
    `synchronous_commit = off`, for this transaction only).

    Only for transactions whose loss in a database crash is harmless because their input is already
    durable and redoing them is idempotent: processing an intake row (it stays unprocessed and the
    sweeper queues it again), a poll (the cursor stays, the page is fetched again) and folding cluster
    tallies (the tallies come back and are folded again). The database stays consistent; a crash can
    only undo the last fraction of a second of such commits, which are then redone. Each is spared a
    wait for the disk.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
