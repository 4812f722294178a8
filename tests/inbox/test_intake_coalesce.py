"""A crisis: webhook deliveries arrive faster than a worker stores them one by one. The worker that takes one
stores the deliveries waiting behind it in the same transaction, with one live event, and never a row twice."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from crisisdesk.locks import session_locks_release, session_locks_try
from inbox import services
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, DeadLetter, Intake, Mention
from inbox.services.intake_claims import INTAKE_LOCKS

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel() -> Channel:
    return Channel.objects.create(
        name="Quejas", kind="webhook", credentials_encrypted=credentials_encrypt({"token": "tok-123"})
    )


def delivery(channel: Channel, number: int, *, size: int = 5, body: bytes | None = None) -> Intake:
    items = [
        {
            "id": f"d{number}-{n}",
            "text": f"Sin fibra en Vigo, aviso {number}-{n}",
            "created_at": "2026-12-04T10:00:00Z",
            "author": {"id": f"a{number}-{n}", "handle": f"cliente{number}{n}"},
        }
        for n in range(size)
    ]
    return Intake.objects.create(
        channel=channel, source="webhook:generic", body=body or json.dumps(items).encode(), body_sha256=f"h{number}"
    )


def test_the_deliveries_waiting_behind_a_row_are_stored_with_it_in_one_event(
    channel, settings, django_capture_on_commit_callbacks
):
    settings.INTAKE_COALESCE_ROWS = 20
    waiting = [delivery(channel, number) for number in range(6)]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = services.intake_process(intake_id=waiting[0].pk)

    assert report.created == 30
    assert Mention.objects.count() == 30
    assert Intake.objects.filter(processed_at__isnull=True).count() == 0
    assert set(Intake.objects.values_list("attempts", flat=True)) == {1}
    # The other rows' own tasks find nothing left to do.
    assert all(services.intake_process(intake_id=row.pk) is None for row in waiting[1:])
    assert Mention.objects.count() == 30
    assert len(callbacks) >= 1


def test_a_row_behind_another_channel_or_past_the_limit_waits_for_its_own_task(channel, settings):
    settings.INTAKE_COALESCE_ROWS = 3
    other = Channel.objects.create(
        name="Otra", kind="webhook", credentials_encrypted=credentials_encrypt({"token": "t"})
    )
    first, _second, _third, fourth = (delivery(channel, number) for number in range(4))
    elsewhere = delivery(other, 9)

    services.intake_process(intake_id=first.pk)

    pending = set(Intake.objects.filter(processed_at__isnull=True).values_list("pk", flat=True))
    assert pending == {fourth.pk, elsewhere.pk}


def test_a_refused_body_behind_the_row_is_a_dead_letter_and_the_good_ones_are_stored(channel, settings):
    settings.INTAKE_COALESCE_ROWS = 20
    good = delivery(channel, 1)
    bad = delivery(channel, 2, body=b"{not json")
    also_good = delivery(channel, 3)

    services.intake_process(intake_id=good.pk)

    assert Mention.objects.count() == 10
    assert DeadLetter.objects.filter(reason__startswith="invalid JSON").count() == 1
    assert not Intake.objects.filter(pk__in=[good.pk, bad.pk, also_good.pk], processed_at__isnull=True).exists()


@contextmanager
def held_elsewhere(rows: list[Intake]) -> Iterator[None]:
    """Another worker's database session holds these rows' locks until the block ends."""
    taken = threading.Event()
    release = threading.Event()

    def other_worker() -> None:
        try:
            assert session_locks_try(INTAKE_LOCKS, [row.pk for row in rows]) == [row.pk for row in rows]
            taken.set()
            release.wait(10)
            session_locks_release(INTAKE_LOCKS, [row.pk for row in rows])
        finally:
            connections.close_all()

    worker = threading.Thread(target=other_worker)
    worker.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        release.set()
        worker.join(10)


def own_advisory_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_row_another_worker_is_processing_is_left_to_it(channel, settings):
    """Another worker's session holds the second row's lock: this one stores the first and third only,
    and a task for the held row returns at once."""
    settings.INTAKE_COALESCE_ROWS = 20
    first, held, third = (delivery(channel, number) for number in range(3))
    with held_elsewhere([held]):
        services.intake_process(intake_id=first.pk)
        assert services.intake_process(intake_id=held.pk) is None

    pending = set(Intake.objects.filter(processed_at__isnull=True).values_list("pk", flat=True))
    assert pending == {held.pk}
    assert Mention.objects.count() == 10
    # Released, the held row is processed by its own task.
    services.intake_process(intake_id=held.pk)
    assert Mention.objects.count() == 15


def test_rows_another_worker_took_first_do_not_shrink_the_next_workers_batch(channel, settings):
    """In a crisis the oldest waiting rows are usually another worker's already: this one looks further
    back in the line and still stores a full batch, and keeps no lock it did not use."""
    settings.INTAKE_COALESCE_ROWS = 3
    line = [delivery(channel, number) for number in range(8)]
    with held_elsewhere(line[:2]):
        report = services.intake_process(intake_id=line[2].pk)
        assert own_advisory_locks() == 0

    assert report.created == 15
    pending = set(Intake.objects.filter(processed_at__isnull=True).values_list("pk", flat=True))
    assert pending == {row.pk for row in [*line[:2], *line[5:]]}


def test_a_worker_leaves_no_lock_behind(channel, settings):
    settings.INTAKE_COALESCE_ROWS = 20
    row = delivery(channel, 1)
    services.intake_process(intake_id=row.pk)
    assert own_advisory_locks() == 0


def test_queued_batches_are_each_stored_by_the_task_that_wrote_them(channel, settings):
    settings.INTAKE_COALESCE_ROWS = 20
    mine, theirs = delivery(channel, 1), delivery(channel, 2)
    Intake.objects.filter(pk__in=[mine.pk, theirs.pk]).update(source="batch")

    services.intake_process(intake_id=mine.pk)

    assert set(Intake.objects.filter(processed_at__isnull=True).values_list("pk", flat=True)) == {theirs.pk}


def test_the_rows_stored_together_are_prepared_together(channel, settings):
    """Six deliveries of five new customers each: their authors are written in one statement, not six."""
    settings.INTAKE_COALESCE_ROWS = 20
    waiting = [delivery(channel, number) for number in range(6)]

    with CaptureQueriesContext(connection) as queries:
        report = services.intake_process(intake_id=waiting[0].pk)

    assert report.created == 30
    statements = [query["sql"] for query in queries.captured_queries]
    author_inserts = [sql for sql in statements if sql.startswith('INSERT INTO "inbox_author"')]
    assert len(author_inserts) == 1
    assert Mention.objects.values("author").distinct().count() == 30
