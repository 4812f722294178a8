"""Auto-escalation with two workers and two beats, and a worker killed mid-way: each step happens once.

Two `celery beat` processes both schedule `escalation.escalations_sweep` every 5 s, and two workers
run them concurrently. The chain climbs on real time (steps of a few seconds); the department's chat
webhook is a local HTTP server that counts what really arrives.
"""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest

from tests.inbox.fake_platform import FakePlatform, Reply
from tests.reliability.conftest import wait_until

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(900)]

REQUESTS = 8
STEPS = 3
STEP_SECONDS = 4

SEED = """
from escalation.models import Department, EscalationPolicy, EscalationStep, StepKind
from escalation.services import escalation_request_create
from crisisdesk.models import User
from tests import factories

department = Department.objects.create(slug="tecnica", name="Técnica", chat_webhook_url={hook!r})
head = factories.UserFactory(username="marta", role="department_head", email="marta@telco.example")
department.heads.add(head)
department.members.add(head)
factories.UserFactory(username="elena", role="director", email="elena@telco.example")
manager = factories.UserFactory(username="ana", role="community_manager")
policy = EscalationPolicy.objects.create(name="Técnica fast", department=department, is_default=True,
                                         answer_within_seconds=3600)
kinds = [StepKind.NOTIFY_HEADS, StepKind.NOTIFY_ROLE_DIRECTORS, StepKind.NOTIFY_HEADS]
for order, kind in enumerate(kinds):
    EscalationStep.objects.create(policy=policy, order=order, kind=kind, wait_seconds={wait})
mention = factories.MentionFactory()
result = [
    escalation_request_create(raised_by=manager, department=department, question=f"Pregunta {{n}}",
                              mention_ids=[mention.pk]).pk
    for n in range({count})
]
"""


@pytest.fixture
def chat_hook():
    server = FakePlatform().start()
    server.script("POST", "/chat", Reply(200, {"ok": True}))
    yield server
    server.stop()


def test_two_beats_two_workers_and_a_killed_worker_climb_each_step_exactly_once(stack, chat_hook):
    # Given two workers and two beat processes on one database and one broker
    workers = [stack.worker("worker-1", concurrency=1), stack.worker("worker-2", concurrency=1)]
    stack.beat("beat-1")
    stack.beat("beat-2")
    database = stack.database

    # When eight requests to Técnica start a three-step chain of a few seconds per step
    request_ids = stack.manage(SEED.format(hook=f"{chat_hook.url}/chat", wait=STEP_SECONDS, count=REQUESTS))
    started = time.monotonic()

    def notified_steps() -> int:
        return database.scalar("SELECT count(*) FROM escalation_escalationevent WHERE kind = 'notified'")

    # And one worker is killed with SIGKILL once the climb is under way, and restarted
    wait_until(lambda: notified_steps() >= REQUESTS + 1, timeout=180, what="the climb to start")
    workers[0].kill9()
    time.sleep(6)  # longer than the broker's visibility timeout: its messages come back
    stack.worker("worker-1-restarted", concurrency=1)

    # Then every request reaches its last step
    wait_until(lambda: notified_steps() >= REQUESTS * STEPS, timeout=300, what="every request to climb 3 steps")
    climbed = time.monotonic() - started
    # and, after a few more sweeps by both beats, nothing moves twice
    time.sleep(2 * 5 + 2)
    rows = database.sql(
        "SELECT request_id, step_index, attempt, count(*) FROM escalation_escalationevent "
        "WHERE kind = 'notified' GROUP BY request_id, step_index, attempt"
    )
    assert {row[0] for row in rows} == set(request_ids)
    assert all(row[3] == 1 for row in rows), [row for row in rows if row[3] != 1]
    assert Counter(row[0] for row in rows) == Counter({request_id: STEPS for request_id in request_ids})
    assert (
        database.scalar("SELECT count(*) FROM escalation_escalationrequest WHERE current_step = %s", [STEPS - 1])
        == REQUESTS
    )

    # And each chat message was claimed once and arrived at most once. A message claimed by the worker
    # that was killed between its claim and its POST stays "sending": at-most-once is the price of
    # never notifying twice, and the stuck claim is visible rather than silently retried.
    def states() -> dict[str, int]:
        return dict(
            database.sql(
                "SELECT state, count(*) FROM escalation_escalationnotification WHERE medium = 'webhook' GROUP BY state"
            )
        )

    # A step whose notify task died with the worker is queued again by the sweeper after its grace.
    wait_until(lambda: sum(states().values()) >= REQUESTS * STEPS, timeout=60, what="lost notifications re-queued")
    posts = [request.json()["text"] for request in chat_hook.received("POST", "/chat")]
    webhook_states = states()
    per_request = Counter(re.search(r"/escalation/(\d+)/", text).group(1) for text in posts)
    assert max(per_request.values()) <= STEPS, "a chat message arrived twice"
    assert len(posts) == webhook_states.get("sent", 0)
    assert sum(webhook_states.values()) == REQUESTS * STEPS
    stuck = database.scalar("SELECT count(*) FROM escalation_escalationnotification WHERE state = 'sending'")
    assert stuck <= 2, "only the killed worker's in-flight step may be left unsent"
    twice = database.scalar(
        "SELECT count(*) FROM (SELECT 1 FROM escalation_escalationnotification "
        "GROUP BY request_id, step_index, attempt, recipient, medium HAVING count(*) > 1) AS twice"
    )
    assert twice == 0
    print(
        f"\nescalation: {REQUESTS} requests × {STEPS} steps with 2 beats, 2 workers and a SIGKILL: "
        f"{len(rows)} steps notified once each, {len(posts)} chat posts (no duplicate), "
        f"{stuck} claim(s) left unsent by the kill, climbed in {climbed:.1f}s"
    )
