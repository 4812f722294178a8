"""A missed promise re-escalates exactly once with two real workers and two real beats.

`test_promise.py` races two sweeper threads; this starts the product's own processes — two
`celery -A crisisdesk worker` and two `celery -A crisisdesk beat`, each in its own process group —
on the test database and the test Redis (the broker), with the sweep every second
(`ESCALATION_SWEEP_SECONDS=1`), so each beat queues a sweep every second and both workers run them.
The request is acknowledged with a promise a few seconds ahead, on the real clock; after the sweep
has run several times on each worker past that time, the miss must have been acted on once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.utils import timezone

from crisisdesk.models import AuditEvent
from escalation import services
from escalation.models import (
    EscalationEvent,
    EscalationNotification,
    EventKind,
    NotificationState,
    RequestStatus,
)
from tests import settings as test_settings

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

ROOT = Path(settings.BASE_DIR)
SWEEP = "escalation.escalations_sweep"
PROMISE_SECONDS = 3
SWEEPS_AFTER_THE_PROMISE = 3  # on each worker


def _database_url() -> str:
    """The test database pytest-django created (`test_…`), which the processes must share with us."""
    database = settings.DATABASES["default"]
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    return (
        f"postgres://{database['USER']}{password}@{database['HOST']}:{database.get('PORT') or 5432}/{database['NAME']}"
    )


def _environment(data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TEST_")}
    env.update(
        DJANGO_SETTINGS_MODULE="crisisdesk.settings",
        DATABASE_URL=_database_url(),
        REDIS_URL=test_settings.TEST_REDIS_URL,
        CHANNEL_LAYER_PREFIX=os.environ.get("CHANNEL_LAYER_PREFIX", "crisisdesk-test") + "-processes",
        CELERY_TASK_ALWAYS_EAGER="0",
        ESCALATION_SWEEP_SECONDS="1",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        TRIAGE_MODEL_TIER="0",
        DEBUG="0",
        SECURE_PRODUCTION="0",
        LOG_LEVEL="WARNING",
        CRISISDESK_DATA_DIR=str(data_dir),
        PYTHONPATH=str(ROOT),
    )
    return env


def _celery(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "crisisdesk", *arguments, "-l", "WARNING"]


def _stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM every process group at once (Celery's warm shutdown), then SIGKILL whatever is left,
    pool children included."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@pytest.fixture
def broker() -> Iterator[Celery]:
    """A bare Celery client on the test Redis, to ask the workers what they ran; the db emptied
    before and after (beat queues tasks for queues these workers do not serve)."""
    store = redis.Redis.from_url(test_settings.TEST_REDIS_URL)
    store.flushdb()
    client = Celery("promise-processes", broker=test_settings.TEST_REDIS_URL, set_as_current=False)
    client.conf.broker_connection_retry_on_startup = True
    try:
        yield client
    finally:
        client.close()
        store.flushdb()
        store.close()


@pytest.fixture
def two_workers_two_beats(broker, tmp_path) -> Iterator[list[str]]:
    """Start the four processes; the workers' node names. Every process group is gone afterwards."""
    env = _environment(tmp_path)
    names = [f"promise-{number}-{os.getpid()}@localhost" for number in (1, 2)]
    commands = [
        _celery("worker", "-Q", "escalation,notify", "-c", "1", "-n", name, "--without-gossip", "--without-mingle")
        for name in names
    ] + [_celery("beat", "-s", str(tmp_path / f"beat-{number}-schedule")) for number in (1, 2)]
    processes: list[subprocess.Popen] = []
    logs = []
    try:
        for number, command in enumerate(commands):
            log = (tmp_path / f"process-{number}.log").open("wb")
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
        yield names
        assert [process.poll() for process in processes] == [None] * 4, "a worker or beat exited early"
    finally:
        _stop(processes)
        for log in logs:
            log.close()


def _sweeps(broker: Celery, names: list[str]) -> dict[str, int]:
    """How many sweeps each worker has taken since it started (its remote-control `stats`)."""
    stats = broker.control.inspect(destination=names, timeout=2.0, limit=len(names)).stats() or {}
    return {name: int(stats.get(name, {}).get("total", {}).get(SWEEP, 0)) for name in names}


def _wait(predicate: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.5)
    return value


def test_a_missed_promise_re_escalates_exactly_once_with_two_workers_and_two_beats(
    people, department, chain_policy, mention, broker, two_workers_two_beats
):
    names = two_workers_two_beats
    # Given two workers both sweeping, fed by two beats
    _wait(lambda: min(_sweeps(broker, names).values()) >= 1, timeout=60, what="both workers to run a sweep")

    # And a request to Técnica that Marta acknowledged, promising an answer in a few seconds
    request = services.escalation_request_create(
        raised_by=people["cm"], department=department, question="¿Vuelve la fibra?", mention_ids=[mention.pk]
    )
    promised_at = timezone.now() + timedelta(seconds=PROMISE_SECONDS)
    services.escalation_request_acknowledge(
        request_id=request.pk, actor=people["head"], promised_at=promised_at, holding_line="Lo estamos mirando."
    )

    # When the promised time passes without an answer, and each worker sweeps several more times
    time.sleep(max(0.0, (promised_at - timezone.now()).total_seconds()) + 0.2)
    past_the_promise = _sweeps(broker, names)
    _wait(
        lambda: all(
            count >= past_the_promise[name] + SWEEPS_AFTER_THE_PROMISE for name, count in _sweeps(broker, names).items()
        ),
        timeout=30,
        what=f"{SWEEPS_AFTER_THE_PROMISE} more sweeps on each worker",
    )
    _wait(
        lambda: not EscalationNotification.objects.filter(
            request=request, step_index__gt=0, state__in=[NotificationState.SENDING, NotificationState.RESENDING]
        ).exists(),
        timeout=15,
        what="the new rung's messages to be sent",
    )

    # Then the miss was acted on exactly once: one `promise_missed`, one audit record, one climb
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN and request.promised_at is None
    assert (request.current_step, request.current_attempt) == (1, 0)
    events = EscalationEvent.objects.filter(request=request)
    assert events.filter(kind=EventKind.PROMISE_MISSED).count() == 1
    assert AuditEvent.objects.filter(verb="escalation.promise_missed", target_id=str(request.pk)).count() == 1
    assert list(events.filter(kind=EventKind.NOTIFIED).values_list("step_index", "attempt")) == [(0, 0), (1, 0)]
    # And the new rung's people (Técnica's head) were told once each, by one worker
    told = Counter(
        EscalationNotification.objects.filter(request=request, step_index=1).values_list("recipient", "medium", "state")
    )
    assert told == {(f"user:{people['head'].pk}", "email", NotificationState.SENT): 1}
