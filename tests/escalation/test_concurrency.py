"""Two workers and two beats: every step of every request is taken, and notified, exactly once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core import mail
from django.db import connection

from escalation import services
from escalation.models import EscalationEvent, EscalationNotification, EventKind
from tests import factories
from tests.escalation.conftest import at

REQUESTS = 25


def _two_sweepers_at(seconds: float) -> list[services.SweepReport]:
    barrier = threading.Barrier(2)
    reports: list[services.SweepReport] = []
    errors: list[BaseException] = []

    def sweeper() -> None:
        try:
            barrier.wait(timeout=10)
            reports.append(services.escalations_sweep(now=at(seconds)))
        except BaseException as error:  # surfaced below: a thread's failure must fail the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return reports


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweepers_move_and_notify_each_step_exactly_once(people, department, chain_policy):
    # Given 25 open requests to Técnica, all on the same clock
    requests = [
        services.escalation_request_create(
            raised_by=people["cm"],
            department=department,
            question=f"Pregunta {number}",
            mention_ids=[factories.MentionFactory().pk],
            now=at(0),
        )
        for number in range(REQUESTS)
    ]
    assert connection.vendor == "postgresql"

    # When two sweepers run at the same instant at every deadline of the chain
    totals = Counter()
    for seconds in (60, 120, 240):
        for report in _two_sweepers_at(seconds):
            totals["escalated"] += report.escalated
        # Then each request climbed exactly one step per deadline, whichever sweeper took it
        assert totals["escalated"] == REQUESTS * (1 + (seconds > 60) + (seconds > 120))

    # And every (request, step) was escalated and notified exactly once
    for kind in (EventKind.ESCALATED, EventKind.NOTIFIED):
        per_step = Counter(
            EscalationEvent.objects.filter(kind=kind, request__in=requests).values_list(
                "request_id", "step_index"
            )
        )
        assert set(per_step.values()) == {1}
        assert len(per_step) == REQUESTS * (3 if kind == EventKind.ESCALATED else 4)
    # And each person got one email per step, never two
    notifications = Counter(
        EscalationNotification.objects.values_list(
            "request_id", "step_index", "attempt", "recipient", "medium"
        )
    )
    assert set(notifications.values()) == {1}
    per_request = 1 + 1 + 2 + 1  # owner, head, two directors, director general
    assert len(notifications) == REQUESTS * per_request
    assert len(mail.outbox) == REQUESTS * per_request
