"""One way to declare a Celery task of Crisis Desk: `@reliable_task(name=...)`.

Every task takes ids, is idempotent and is acknowledged only once it has run (`acks_late`,
`reject_on_worker_lost`), so a worker killed mid-task hands its message to another one and a second
run changes nothing. Results are ignored: nothing waits on them.

A lost database connection is an outage, not a bug: tasks that touch the database retry on
`OperationalError` with a deterministic exponential backoff (1, 2, 4 … 60 s) long enough to ride
out a restart of PostgreSQL (about a quarter of an hour in all), instead of giving up after a few
seconds and dropping their batch.

The queue follows from the task's name (`inbox.*` → `ingest` …, see `crisisdesk/queues.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from celery import shared_task
from django.db import OperationalError

RELIABLE: dict[str, Any] = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}
DATABASE_RETRY: dict[str, Any] = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "retry_jitter": False,
    "max_retries": 20,
}

P = ParamSpec("P")
R = TypeVar("R")


def reliable_task(
    *,
    name: str,
    retry_on: tuple[type[BaseException], ...] = (),
    database_retry: bool = False,
    backoff: int | bool | None = None,
    backoff_max: int | None = None,
    jitter: bool | None = None,
    max_retries: int | None = None,
    time_limit: int | None = None,
    soft_time_limit: int | None = None,
    **options: Any,
) -> Callable[[Callable[P, R]], Any]:
    """Declare a task with the shared guarantees.

    `database_retry` rides out a database outage as described above: for tasks that carry work no
    one else will redo. A beat's sweep leaves it off, because the next beat is its retry. `retry_on`
    names other exceptions that deserve a retry (a platform's transient failure); the backoff and
    limits override the database defaults where a retry means a resend, not a reconnect.
    """
    settings: dict[str, Any] = {"name": name, **RELIABLE}
    exceptions: tuple[type[BaseException], ...] = tuple(retry_on)
    if database_retry:
        settings.update(DATABASE_RETRY)
        exceptions = (*exceptions, OperationalError)
    if exceptions:
        settings["autoretry_for"] = exceptions
    overrides = {
        "retry_backoff": backoff,
        "retry_backoff_max": backoff_max,
        "retry_jitter": jitter,
        "max_retries": max_retries,
        "time_limit": time_limit,
        "soft_time_limit": soft_time_limit,
    }
    settings.update({key: value for key, value in overrides.items() if value is not None})
    settings.update(options)
    return shared_task(**settings)
