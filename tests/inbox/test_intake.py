"""Intake: a pushed batch is in PostgreSQL before the sender hears 2xx, and is ingested exactly once.

The broker's message carries only the intake id, so losing the message (Redis down, a worker
killed) delays the batch until the sweeper queues it again; it never loses it.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from inbox import services, tasks
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, DeadLetter, Intake, Mention

pytestmark = pytest.mark.django_db

ITEM = {
    "id": "i-1",
    "text": "Sin línea en Murcia",
    "created_at": "2026-03-01T10:00:00Z",
    "author": {"id": "a-1", "handle": "rosa"},
}


@pytest.fixture
def channel() -> Channel:
    return Channel.objects.create(
        name="Quejas", kind="webhook", credentials_encrypted=credentials_encrypt({"token": "tok-123"})
    )


def push(channel: Channel, body) -> object:
    return Client().post(
        f"/hooks/webhook/{channel.pk}/",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer tok-123",
    )


def test_a_pushed_batch_is_kept_before_the_answer_and_ingested_after_commit(
    channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = push(channel, [ITEM])

    # The answer comes with the row already written, and nothing ingested yet
    assert response.status_code == 202
    intake = Intake.objects.get(pk=response.json()["intake"])
    assert (intake.source, intake.processed_at, json.loads(bytes(intake.body))) == ("webhook:generic", None, [ITEM])
    assert Mention.objects.count() == 0
    # When the queued task runs, the batch is ingested and the row marked processed
    for callback in callbacks:
        callback()
    intake.refresh_from_db()
    assert intake.processed_at is not None
    assert Mention.objects.get().external_id == "i-1"


def test_a_broker_that_cannot_be_reached_still_gets_the_sender_a_202_and_the_row_waits(
    channel, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.intake_process, "apply_async", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        response = push(channel, [ITEM])

    assert response.status_code == 202
    assert Intake.objects.get().processed_at is None
    assert "the sweeper will queue it" in caplog.text


def test_the_sweeper_queues_again_only_rows_left_unprocessed_too_long(channel, django_capture_on_commit_callbacks):
    now = timezone.now()
    late = now - timedelta(seconds=settings.INTAKE_REQUEUE_SECONDS + 1)
    body = json.dumps([ITEM]).encode()
    lost = Intake.objects.create(channel=channel, source="webhook:generic", body=body, body_sha256="a", queued_at=late)
    Intake.objects.create(channel=channel, source="webhook:generic", body=body, body_sha256="b", queued_at=now)
    Intake.objects.create(
        channel=channel, source="webhook:generic", body=body, body_sha256="c", queued_at=late, processed_at=now
    )

    with django_capture_on_commit_callbacks(execute=True):
        requeued = tasks.intakes_requeue_stale.delay().get()

    assert requeued == 1
    lost.refresh_from_db()
    assert lost.processed_at is not None
    assert Mention.objects.count() == 1
    # and a second sweep right after finds nothing to do
    assert services.intakes_requeue_stale() == 0


def test_late_rows_behind_a_backlog_are_not_queued_again_until_it_drains(channel, monkeypatch):
    # Given three rows late by the clock while the ingest queue still holds five messages
    late = timezone.now() - timedelta(seconds=settings.INTAKE_REQUEUE_SECONDS + 1)
    body = json.dumps([ITEM]).encode()
    for digest in "abc":
        Intake.objects.create(channel=channel, source="webhook:generic", body=body, body_sha256=digest, queued_at=late)
    depths = {"ingest": 5}
    monkeypatch.setattr("inbox.services.intake.queue_depths", lambda: dict(depths))
    sent = []
    monkeypatch.setattr("inbox.services.intake._intakes_enqueue_on_commit", sent.append)

    # When the sweeper runs, then nothing is queued again: they may all be waiting in that queue
    assert services.intakes_requeue_stale() == 0
    assert sent == []

    # When the queue holds fewer messages than there are late rows, then some were lost: all are queued again
    depths["ingest"] = 2
    assert services.intakes_requeue_stale() == 3
    assert len(sent) == 1 and len(sent[0]) == 3


def test_the_sweeper_requeues_when_the_broker_cannot_say_how_deep_the_queue_is(channel, monkeypatch):
    late = timezone.now() - timedelta(seconds=settings.INTAKE_REQUEUE_SECONDS + 1)
    Intake.objects.create(
        channel=channel, source="webhook:generic", body=json.dumps([ITEM]).encode(), body_sha256="a", queued_at=late
    )

    def unreachable():
        raise ConnectionError("broker down")

    monkeypatch.setattr("inbox.services.intake.queue_depths", unreachable)
    monkeypatch.setattr("inbox.services.intake._intakes_enqueue_on_commit", lambda ids: None)
    assert services.intakes_requeue_stale() == 1


def test_processing_an_intake_twice_ingests_it_once(channel):
    intake = Intake.objects.create(
        channel=channel, source="webhook:generic", body=json.dumps([ITEM]).encode(), body_sha256="x"
    )

    first = services.intake_process(intake_id=intake.pk)
    second = services.intake_process(intake_id=intake.pk)

    assert first is not None and first.created == 1
    assert second is None
    assert Mention.objects.count() == 1


def test_a_redelivered_ingest_task_finds_its_intake_and_does_nothing(channel):
    first = tasks.mentions_ingest_batch.apply(args=[channel.pk, [ITEM]], task_id="delivery-1").get()
    again = tasks.mentions_ingest_batch.apply(args=[channel.pk, [ITEM]], task_id="delivery-1").get()

    assert (first, again) == (1, 0)
    assert Intake.objects.count() == 1


def test_a_batch_that_keeps_failing_ends_as_a_dead_letter_not_a_loop(channel, monkeypatch):
    intake = Intake.objects.create(
        channel=channel, source="webhook:generic", body=json.dumps([ITEM]).encode(), body_sha256="x"
    )

    def crash(*args, **kwargs):
        raise RuntimeError("a connector bug")

    monkeypatch.setattr(services.intake, "_intakes_ingest", crash)

    services.intake_process(intake_id=intake.pk)
    intake.refresh_from_db()
    assert (intake.attempts, intake.processed_at, intake.last_error) == (1, None, "RuntimeError: a connector bug")
    for _ in range(services.INTAKE_MAX_ATTEMPTS - 1):
        services.intake_process(intake_id=intake.pk)
    intake.refresh_from_db()
    assert intake.processed_at is not None
    dead = DeadLetter.objects.get()
    assert dead.reason.startswith("intake_failed: RuntimeError")
    assert '"i-1"' in dead.payload


def test_processed_rows_are_pruned_after_the_retention_and_pending_ones_never(channel):
    now = timezone.now()
    old = now - timedelta(hours=settings.INTAKE_RETENTION_HOURS + 1)
    body = b"[]"
    Intake.objects.create(channel=channel, source="s", body=body, body_sha256="1", received_at=old, processed_at=old)
    kept = Intake.objects.create(channel=channel, source="s", body=body, body_sha256="2", processed_at=now)
    pending = Intake.objects.create(channel=channel, source="s", body=body, body_sha256="3", received_at=old)

    assert tasks.intakes_prune.delay().get() == 1
    assert set(Intake.objects.values_list("pk", flat=True)) == {kept.pk, pending.pk}


def test_the_sweeper_and_the_pruning_are_scheduled_on_the_default_queue():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["inbox.intakes_requeue_stale"] <= 15
    assert "inbox.intakes_prune" in schedule
    from crisisdesk.celery import app

    assert app.amqp.router.route({}, "inbox.intakes_requeue_stale")["queue"].name == "default"
    assert app.amqp.router.route({}, "inbox.intake_process")["queue"].name == "ingest"
