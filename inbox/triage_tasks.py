"""Celery tasks for the triage model tier, on the "triage" queue (routed by the "triage.*" name)."""

from __future__ import annotations

import logging

from django.core.cache import cache

from crisisdesk.models import User
from crisisdesk.tasking import reliable_task
from inbox.models import TriageModelTrigger
from inbox.triage.backlog import mentions_refine_drain as refine_queue_drain
from inbox.triage.selectors import label_corrections_brands_since_last_version
from inbox.triage.services import mentions_triage_refine
from inbox.triage.versions import TriageModelError, triage_model_train

logger = logging.getLogger(__name__)

# Short tasks keep a shared worker free for escalations: at the embedder's speed (docs/PERFORMANCE.md)
# 128 texts take well under a second.
REFINE_CHUNK = 128


@reliable_task(
    name="triage.mentions_refine", database_retry=True, backoff=True, backoff_max=600, jitter=True, max_retries=3
)
def mentions_refine(mention_ids: list[int]) -> int:
    """Refine the given mentions (messages sent before the queue moved to the database); safe to run twice."""
    for start in range(REFINE_CHUNK, len(mention_ids), REFINE_CHUNK):
        mentions_refine.delay(mention_ids[start : start + REFINE_CHUNK])
    return mentions_triage_refine(mention_ids=mention_ids[:REFINE_CHUNK])


@reliable_task(name="triage.mentions_refine_drain")
def mentions_refine_drain() -> int:
    """Work the refine queue (highest priority first, shedding over the bound) for a few seconds, then ask for
    the next drain if work is left, so other tasks get the worker in between; the next beat is its retry."""
    report = refine_queue_drain()
    if report.out_of_time:
        refine_wake()
    return report.refined


def refine_wake() -> None:
    """After an ingest commits: ask a worker to drain now. The queue is in the database, so a broker that is
    down only delays refinement until the beat's drain; ingestion never fails for it."""
    try:
        # One wake-up a second is enough: a drain works until the queue is empty.
        if cache.add("triage:refine:wake", 1, timeout=1):
            mentions_refine_drain.delay()
    except Exception as error:  # noqa: BLE001 - any broker failure; the beat drains what this would have
        logger.warning("Refine wake-up not sent (the beat will drain): %s", error)


@reliable_task(name="triage.models_retrain_due")
def models_retrain_due() -> int:
    """Nightly: one training task per brand with corrections newer than its latest model version."""
    brands = label_corrections_brands_since_last_version()
    for brand in brands:
        model_retrain.delay(brand, TriageModelTrigger.SCHEDULE)
    return len(brands)


# Training embeds every correction with both embedders (e5 reads ~30 texts/s on a shared worker).
@reliable_task(name="triage.model_retrain", database_retry=True, max_retries=2, time_limit=900, soft_time_limit=840)
def model_retrain(brand: str, trigger: str, actor_id: int | None = None) -> str:
    """Train a version of `brand`'s model; a second delivery trains again and is judged the same way."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    try:
        return triage_model_train(brand=brand, trigger=trigger, actor=actor).status
    except TriageModelError as error:
        return str(error)
