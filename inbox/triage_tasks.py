"""Celery tasks for the triage model tier, on the "triage" queue (routed by the "triage.*" name)."""

from __future__ import annotations

from crisisdesk.tasking import reliable_task
from inbox.triage.services import mentions_triage_refine

# Short tasks keep a shared worker free for escalations: at the embedder's speed (docs/PERFORMANCE.md)
# 128 texts take well under a second.
REFINE_CHUNK = 128


@reliable_task(name="triage.mentions_refine", database_retry=True, backoff=True, backoff_max=600, jitter=True,
               max_retries=3)
def mentions_refine(mention_ids: list[int]) -> int:
    """Refine freshly ingested mentions with the model tier; safe to run twice. Big batches fan out."""
    for start in range(REFINE_CHUNK, len(mention_ids), REFINE_CHUNK):
        mentions_refine.delay(mention_ids[start : start + REFINE_CHUNK])
    return mentions_triage_refine(mention_ids=mention_ids[:REFINE_CHUNK])
