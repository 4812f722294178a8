"""Options every Celery task of Crisis Desk shares.

A lost database connection is an outage, not a bug: tasks that touch the database retry on
`OperationalError` with a deterministic exponential backoff (1, 2, 4 … 60 s) long enough to ride
out a restart of PostgreSQL (about a quarter of an hour in all), instead of giving up after a few
seconds and dropping their batch. Tasks are idempotent, so a retry never doubles anything.
"""

from django.db import OperationalError

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}
DATABASE_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "retry_jitter": False,
    "max_retries": 20,
}
