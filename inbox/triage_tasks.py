"""Celery tasks for the triage model tier, on the "triage" queue (routed by the "triage.*" name)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from inbox.triage.services import mentions_triage_refine


@shared_task(
    name="triage.mentions_refine",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def mentions_refine(mention_ids: list[int]) -> int:
    """Refine freshly ingested mentions with the model tier; safe to run twice."""
    return mentions_triage_refine(mention_ids=mention_ids)
