"""Every task of Crisis Desk is declared one way, so every task keeps the same guarantees."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import OperationalError

from crisisdesk.celery import app
from crisisdesk.queues import QUEUES
from crisisdesk.tasking import reliable_task

APPS = ("crisisdesk", "inbox", "escalation", "playbooks")


def _our_tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if name.split(".")[0] in {*APPS, "notify", "triage"}}


def test_every_task_is_acknowledged_late_and_survives_a_killed_worker():
    tasks = _our_tasks()
    assert len(tasks) >= 15
    for name, task in tasks.items():
        assert task.acks_late, name
        assert task.reject_on_worker_lost, name
        assert task.ignore_result, name


def test_every_task_runs_on_a_declared_queue():
    router = app.amqp.router
    for name in _our_tasks():
        queue = router.route({}, name)["queue"].name
        assert queue in QUEUES, name
    assert settings.CELERY_QUEUES == list(QUEUES)


def test_no_task_module_declares_celery_options_by_hand():
    root = Path(settings.BASE_DIR)
    for path in [*root.glob("*/tasks.py"), *root.glob("*/*_tasks.py")]:
        if path.parts[-2] in APPS:
            assert "shared_task" not in path.read_text(), f"{path} should use crisisdesk.tasking.reliable_task"


def test_a_database_task_retries_an_outage_and_a_sweep_waits_for_the_next_beat():
    @reliable_task(name="tests.carries_work", database_retry=True)
    def carries_work() -> None: ...

    @reliable_task(name="tests.sweeps")
    def sweeps() -> None: ...

    assert OperationalError in carries_work.autoretry_for
    assert carries_work.max_retries == 20
    assert not getattr(sweeps, "autoretry_for", ())
