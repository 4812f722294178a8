"""Which intake rows a worker stores together: the row its task names and the ones waiting behind it.

Each row's advisory session lock is taken before it is parsed outside the transaction, so two workers
never prepare the same rows (crisisdesk.locks.session_locks_try).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, InterfaceError

from crisisdesk.locks import session_locks_release, session_locks_try
from inbox.models import Intake

logger = logging.getLogger("inbox.services")

# The advisory-lock space of intake rows being processed (crisisdesk.locks.session_locks_try).
INTAKE_LOCKS = 0x494E544B
COALESCE_WINDOW = 3


@contextmanager
def intakes_claim(intake_id: int) -> Iterator[list[int]]:
    """The row and the oldest rows of its channel and source waiting behind it, as far as nobody else is
    processing them: this row first, or an empty list when another run holds it.

    Each row's advisory lock is taken before it is parsed outside the transaction, so two workers never
    prepare the same rows; whoever holds a row's lock alone may process it. In a crisis the rows come in
    faster than one at a time can be stored (a webhook delivery of 25 comments every 50 ms), and storing
    them one by one paid a transaction, the shared counters' updates and a live event to every console
    for each 25 comments (docs/PERFORMANCE.md).
    """
    if settings.INTAKE_COALESCE_ROWS <= 1:
        yield [intake_id]  # one row per run, as before coalescing: its row lock alone keeps it one worker's
        return
    limit = settings.INTAKE_COALESCE_ROWS
    own = Intake.objects.filter(pk=intake_id, processed_at__isnull=True).values("channel_id", "source").first()
    behind: list[int] = []
    # A queued batch's row is processed at once by the task that wrote it: only pushed bodies wait in line.
    if own is not None and own["source"] != "batch":
        # Three times as many as are wanted: the oldest waiting rows are often another worker's already.
        behind = list(
            Intake.objects.filter(channel_id=own["channel_id"], source=own["source"], processed_at__isnull=True)
            .exclude(pk=intake_id)
            .order_by("pk")
            .values_list("pk", flat=True)[: COALESCE_WINDOW * (limit - 1)]
        )
    taken = session_locks_try(INTAKE_LOCKS, [intake_id, *behind])
    if taken[:1] != [intake_id]:
        taken, spare = [], taken
    else:
        taken, spare = taken[:limit], taken[limit:]
    if spare:
        session_locks_release(INTAKE_LOCKS, spare)
    try:
        yield taken
    finally:
        try:
            session_locks_release(INTAKE_LOCKS, taken)
        except (DatabaseError, InterfaceError):  # a lost connection took its locks with it
            logger.warning("Could not release the locks of intakes %s", taken, exc_info=True)
