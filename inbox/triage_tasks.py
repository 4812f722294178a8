"""Celery tasks for the triage model tier, on the "triage" queue (routed by the "triage.*" name)."""

from __future__ import annotations

import logging

from django.core.cache import cache

from crisisdesk.tasking import reliable_task
from inbox.triage.backlog import mentions_refine_drain as refine_queue_drain
from inbox.triage.services import mentions_triage_refine

logger = logging.getLogger(__name__)

# Short tasks keep a shared worker free for escalations: at the embedder's speed (docs/PERFORMANCE.md)
# 128 texts take well under a second.
REFINE_CHUNK = 128


@reliable_task(name="triage.mentions_refine", database_retry=True, backoff=True, backoff_max=600, jitter=True,
               max_retries=3)
def mentions_refine(mention_ids: list[int]) -> int:
    """Refine the given mentions (messages sent before the queue moved to the database); safe to run twice."""
    for start in range(REFINE_CHUNK, len(mention_ids), REFINE_CHUNK):
        mentions_refine.delay(mention_ids[start : start + REFINE_CHUNK])
    return mentions_triage_refine(mention_ids=mention_ids[:REFINE_CHUNK])


@reliable_task(name="triage.mentions_refine_drain")
def mentions_refine_drain() -> int:
    """Work the refine queue (highest priority first, shedding over the bound); the next beat is its retry."""
    return refine_queue_drain().refined


def refine_wake() -> None:
    """After an ingest commits: ask a worker to drain now. The queue is in the database, so a broker that is
    down only delays refinement until the beat's drain; ingestion never fails for it."""
    try:
        # One wake-up a second is enough: a drain works until the queue is empty.
        if cache.add("triage:refine:wake", 1, timeout=1):
            mentions_refine_drain.delay()
    except Exception as error:  # noqa: BLE001 - any broker failure; the beat drains what this would have
        logger.warning("Refine wake-up not sent (the beat will drain): %s", error)
