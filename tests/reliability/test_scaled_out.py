"""Scaled out: two web processes, two workers and two beats on one PostgreSQL and one Redis still do each thing once.

The processes are the product's own (`daphne crisisdesk.asgi:application` twice, as two hosts behind a load
balancer would run it; `celery worker` and `celery beat` twice each), started once for this module on a database
and a Redis server of their own (tests/reliability/conftest.py). docs/SCALING.md is what this proves.

- Ingestion: the same webhook batch posted to both web processes at the same instant, then redelivered to each,
  is stored once, and each console — one on each web process — hears of it in one `mention.new`.
- Escalation: a request raised through one web process whose step deadline passes climbs once to the next
  level — one `escalated` event, one e-mail to the director — while both beats queue a sweep every second and
  both workers run them.
- The metrics of all six processes add up on either web process's `/metrics` (prometheus_client's multiprocess
  mode, one directory for the host).
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from crisisdesk.metrics import metric_samples
from tests.reliability.conftest import Database, RedisServer, Stack, _admin, wait_until, webhook_items

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(900)]

METRICS_TOKEN = "scaled-out-metrics-token-0123456789"
STEP_SECONDS = 3
BATCH = 200

SEED = """
from rest_framework.authtoken.models import Token
from escalation.models import Department, EscalationPolicy, EscalationStep, StepKind
from inbox.credentials import credentials_encrypt
from inbox.models import Channel
from tests import factories

channel = Channel.objects.create(name="Webhook scaled", kind="webhook", brand="Telco",
                                 credentials_encrypted=credentials_encrypt({"token": "tok-scaled"}))
department = Department.objects.create(slug="tecnica", name="Técnica")
head = factories.UserFactory(username="marta", role="department_head", email="marta@telco.example")
department.heads.add(head)
department.members.add(head)
factories.UserFactory(username="elena", role="director", email="elena@telco.example")
manager = factories.UserFactory(username="ana", role="community_manager", email="ana@telco.example")
policy = EscalationPolicy.objects.create(name="Técnica", department=department, is_default=True,
                                         answer_within_seconds=3600)
EscalationStep.objects.create(policy=policy, order=0, kind=StepKind.NOTIFY_HEADS, wait_seconds=STEP_SECONDS)
EscalationStep.objects.create(policy=policy, order=1, kind=StepKind.NOTIFY_ROLE_DIRECTORS, wait_seconds=3600)
result = {"channel": channel.pk, "token": Token.objects.create(user=manager).key}

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
sessions = []
for _ in range(2):
    store = SessionStore()
    store[SESSION_KEY] = str(manager.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = manager.get_session_auth_hash()
    store.create()
    sessions.append(store.session_key)
result["sessions"] = sessions
"""


class Console:
    """A community manager's console socket on one web process, keeping every event it receives."""

    def __init__(self, base_url: str, session: str) -> None:
        self.socket: ClientConnection = connect(
            base_url.replace("http://", "ws://") + "/ws/console/",
            additional_headers={"Cookie": f"sessionid={session}", "Origin": base_url},
            open_timeout=10,
            ping_interval=None,  # a loaded test machine may take longer than a ping's timeout to answer
        )
        assert json.loads(self.socket.recv(timeout=10))["type"] == "hello"
        self.events: list[dict] = []

    def drain(self, *, quiet_seconds: float = 1.5) -> list[dict]:
        """Everything received so far, reading until nothing more arrives for `quiet_seconds`."""
        while True:
            try:
                self.events.append(json.loads(self.socket.recv(timeout=quiet_seconds)))
            except TimeoutError:
                return self.events

    def of_type(self, event_type: str) -> list[dict]:
        return [event for event in self.drain() if event.get("type") == event_type]


@dataclass
class ScaledOut:
    stack: Stack
    webs: list[str]
    seed: dict
    mail_dir: Path
    consoles: list[Console]

    def scrape(self, web: int) -> dict:
        response = httpx.get(
            f"{self.webs[web]}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30
        )
        assert response.status_code == 200, response.text[:300]
        return metric_samples(response.text)


@pytest.fixture(scope="module")
def scaled_out(template_database, data_dir, tmp_path_factory) -> Iterator[ScaledOut]:
    """Two web processes, two workers, two beats; the seed (a webhook channel, Técnica, Ana's token and sessions)
    and a console socket on each web process."""
    root = tmp_path_factory.mktemp("scaled-out")
    database = Database(f"crisisdesk_rel_{uuid.uuid4().hex[:10]}")
    _admin(f'CREATE DATABASE "{database.name}" TEMPLATE "{template_database}"')
    redis = RedisServer(root / "redis")
    redis.start()
    (root / "metrics").mkdir()
    mail_dir = root / "mail"
    mail_dir.mkdir()
    stack = Stack(database, redis, root, data_dir)
    common = {
        "ESCALATION_SWEEP_SECONDS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(root / "metrics"),
        "METRICS_TOKEN": METRICS_TOKEN,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "LOG_FORMAT": "json",
    }
    consoles: list[Console] = []
    try:
        seed = stack.manage(SEED.replace("STEP_SECONDS", str(STEP_SECONDS)))
        for number in (1, 2):
            stack.worker(f"worker-{number}", concurrency=1, **common)
            stack.beat(f"beat-{number}", **common)
        # One web on Daphne, the other on uvicorn the way `WEB_SERVER=uvicorn` runs it: either server, one product.
        webs = [stack.daphne("web-1", **common)[1], stack.serve("web-2", server="uvicorn", **common)[1]]
        consoles = [Console(web, session) for web, session in zip(webs, seed["sessions"], strict=True)]
        yield ScaledOut(stack, webs, seed, mail_dir, consoles)
    finally:
        for console in consoles:
            console.socket.close()
        stack.stop_all()
        redis.kill()
        database.drop()


@pytest.fixture(autouse=True)
def _process_logs_on_failure(request, scaled_out) -> Iterator[None]:
    yield
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        for service in scaled_out.stack.services:
            sys.stderr.write(f"\n===== {service.name} log =====\n{service.tail(40)}\n")


def _post_at_once(urls: list[str], body: bytes) -> list[httpx.Response]:
    """POST the same body to every URL from its own thread, released together."""
    barrier = threading.Barrier(len(urls))
    responses: list[httpx.Response | None] = [None] * len(urls)

    def post(index: int) -> None:
        with httpx.Client(timeout=30) as client:
            barrier.wait()
            responses[index] = client.post(
                urls[index],
                content=body,
                headers={"Content-Type": "application/json", "Authorization": "Bearer tok-scaled"},
            )

    threads = [threading.Thread(target=post, args=(index,)) for index in range(len(urls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return [response for response in responses if response is not None]


def test_a_batch_posted_to_both_web_processes_and_redelivered_is_stored_once_and_announced_once(scaled_out):
    database = scaled_out.stack.database
    hooks = [f"{web}/hooks/webhook/{scaled_out.seed['channel']}/" for web in scaled_out.webs]
    batches = [json.dumps(webhook_items(count=BATCH, prefix=f"s{number}-")).encode() for number in (1, 2)]

    # When each batch reaches both web processes at the same instant, and is then redelivered to each
    for body in batches:
        answers = _post_at_once(hooks, body)
        assert sorted(response.status_code for response in answers) in ([200, 202], [202, 202]), answers[0].text
        for hook in hooks:
            assert httpx.post(
                hook, content=body, headers={"Content-Type": "application/json", "Authorization": "Bearer tok-scaled"}
            ).status_code in (200, 202)
    wait_until(
        lambda: database.scalar("SELECT count(*) FROM inbox_intake WHERE processed_at IS NULL") == 0
        and database.scalar("SELECT count(*) FROM inbox_mention") >= 2 * BATCH,
        timeout=60,
        what="both batches to be ingested",
    )

    # Then every mention is stored once, and counted once
    assert database.scalar("SELECT count(*) FROM inbox_mention") == 2 * BATCH
    assert database.scalar("SELECT count(DISTINCT external_id) FROM inbox_mention") == 2 * BATCH
    assert database.scalar("SELECT sum(volume) FROM inbox_mentionminutestat WHERE topic = ''") == 2 * BATCH
    assert database.scalar("SELECT count(*) FROM inbox_deadletter") == 0
    # And each console, on either web process, heard of each batch in one event
    for console in scaled_out.consoles:
        announced = console.of_type("mention.new")
        assert sorted(event["count"] for event in announced) == [BATCH, BATCH]
    # And either web process's /metrics adds up what the two workers stored and the two webs delivered
    for web in (0, 1):
        samples = scaled_out.scrape(web)
        assert samples[("crisisdesk_mentions_stored_total", (("channel_kind", "webhook"),))] == 2 * BATCH
        assert samples[("crisisdesk_push_latency_seconds_count", (("event_family", "mention"),))] >= 4
        assert samples[("crisisdesk_celery_queue_depth", (("queue", "ingest"),))] == 0


def _emails_to(mail_dir: Path, address: str) -> int:
    return sum(path.read_text(errors="replace").count(f"To: {address}") for path in mail_dir.glob("*.log"))


def test_a_request_whose_step_deadline_passes_climbs_once_with_two_workers_and_two_beats(scaled_out):
    database = scaled_out.stack.database
    mention_ids = [row[0] for row in database.sql("SELECT id FROM inbox_mention ORDER BY id LIMIT 1")]
    # Given a request to Técnica raised by Ana through the second web process
    response = httpx.post(
        f"{scaled_out.webs[1]}/api/escalations/",
        json={"department": "tecnica", "question": "¿Hay corte de fibra en Madrid?", "mention_ids": mention_ids},
        headers={"Authorization": f"Token {scaled_out.seed['token']}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text[:300]
    request_id = response.json()["id"]

    # When its first step's deadline passes and both beats keep queueing sweeps for both workers
    def climbed() -> bool:
        return bool(
            database.scalar(
                "SELECT count(*) FROM escalation_escalationnotification "
                "WHERE request_id = %s AND step_index = 1 AND state = 'sent'",
                [request_id],
            )
        )

    wait_until(climbed, timeout=60, what="the request to reach the directors")
    time.sleep(4)  # several more sweeps on each worker, each a chance to climb again

    # Then it climbed once: one `escalated` event, one notification per person and step, one e-mail to Elena
    kinds = Counter(
        kind
        for (kind,) in database.sql("SELECT kind FROM escalation_escalationevent WHERE request_id = %s", [request_id])
    )
    assert kinds["escalated"] == 1
    notified = database.sql(
        "SELECT step_index, attempt, count(*) FROM escalation_escalationevent "
        "WHERE request_id = %s AND kind = 'notified' GROUP BY step_index, attempt ORDER BY step_index",
        [request_id],
    )
    assert notified == [(0, 0, 1), (1, 0, 1)]
    assert database.scalar("SELECT current_step FROM escalation_escalationrequest WHERE id = %s", [request_id]) == 1
    twice = database.scalar(
        "SELECT count(*) FROM (SELECT 1 FROM escalation_escalationnotification WHERE request_id = %s "
        "GROUP BY step_index, attempt, recipient, medium HAVING count(*) > 1) AS duplicates",
        [request_id],
    )
    assert twice == 0
    assert _emails_to(scaled_out.mail_dir, "elena@telco.example") == 1
    assert _emails_to(scaled_out.mail_dir, "marta@telco.example") == 1
    # And each console, on either web process, heard of the new request once
    for console in scaled_out.consoles:
        created = [event for event in console.of_type("escalation.created") if event["request_id"] == request_id]
        assert len(created) == 1
