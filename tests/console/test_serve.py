"""`manage.py serve --web-processes N`: several processes only where they share a channel layer and broker."""

import pytest
from django.core.management import CommandError, call_command


def test_the_embedded_mode_refuses_several_web_processes(settings):
    # Given the embedded mode, whose channel layer and broker live in one process's memory (and its server, Daphne)
    settings.EMBEDDED = True
    settings.WEB_SERVER = "daphne"

    # When two web processes are asked for, then it refuses before doing anything
    with pytest.raises(CommandError, match="one process"):
        call_command("serve", web_processes=2, no_demo=True)


def test_at_least_one_web_process():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("serve", web_processes=0, no_demo=True)


def test_the_embedded_worker_takes_tasks_faster_than_its_own_beat_sends_them(monkeypatch, settings):
    # Given the embedded worker and beat, as `make run` starts them
    from types import SimpleNamespace

    from console.management.commands import serve

    worker_options: dict = {}
    monkeypatch.setattr(
        serve.app, "WorkController", lambda **options: worker_options.update(options) or SimpleNamespace(start=None)
    )
    monkeypatch.setattr(serve, "EmbeddedService", lambda *args, **options: SimpleNamespace(start=lambda: None))
    monkeypatch.setattr(serve.threading, "Thread", lambda **options: SimpleNamespace(start=lambda: None))
    serve.start_embedded_worker_and_beat()

    # Then the messages it may hold, acknowledged every 2 s once it holds them all, outpace the beat
    # (its periodic claims, the cluster replies' among them) several times over
    in_flight = worker_options["concurrency"] * worker_options["prefetch_multiplier"]
    schedules = [entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    beat_per_second = sum(1 / seconds for seconds in schedules if isinstance(seconds, float))
    assert in_flight / 2.0 >= 4 * beat_per_second
