"""The model tier's refine queue in a spike: high priority first, low priority shed over the bound, safe
claims with two workers, and the backlog on the channel health page and in the API."""

import json
import sqlite3
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crisisdesk.locks import session_locks_release, session_locks_try
from crisisdesk.models import AuditEvent
from inbox import triage_tasks
from inbox.connectors.base import NormalizedAuthor, NormalizedMention
from inbox.models import Intake, Mention
from inbox.services import mentions_ingest
from inbox.triage import TriageResult, fast_tier
from inbox.triage import backlog as backlog_module
from inbox.triage import services as triage_services
from inbox.triage.backlog import (
    SHED_REASON,
    DrainReport,
    JsonListAppend,
    mentions_refine_claim,
    mentions_refine_drain,
    mentions_refine_shed,
)
from inbox.triage.selectors import triage_backlog
from tests.factories import ChannelFactory, MentionFactory


class RecordingModelTier:
    """Answers like the model tier (tier "model") with the fast tier's labels, and records what it read."""

    name = "model"

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def available(self) -> bool:
        return True

    def triage_batch(self, inputs) -> list[TriageResult]:
        self.batches.append([item.text for item in inputs])
        results = fast_tier().triage_batch(inputs)
        for result in results:
            result.tier = "model"
        return results


@pytest.fixture
def model(monkeypatch):
    tier = RecordingModelTier()
    monkeypatch.setattr(backlog_module, "model_tier", lambda: tier)
    monkeypatch.setattr(triage_services, "model_tier", lambda: tier)
    return tier


def pending(priority: int, **fields) -> Mention:
    fields.setdefault("text", f"priority {priority}")
    return MentionFactory(priority=priority, triage_tier="fast", triage_refine="pending", **fields)


@pytest.mark.django_db
def test_the_highest_priority_is_refined_first(model):
    # given five mentions waiting for the model, in arrival order of mixed priority
    for priority in (10, 80, 30, 95, 50):
        pending(priority)
    # when a worker drains the queue in batches of two
    report = mentions_refine_drain(batch=2, seconds=60)
    # then it read them highest priority first (a batch is one model call), and none is left waiting
    assert [set(batch) for batch in model.batches] == [
        {"priority 95", "priority 80"},
        {"priority 50", "priority 30"},
        {"priority 10"},
    ]
    assert (report.claimed, report.refined, report.batches) == (5, 5, 3)
    assert not report.out_of_time
    assert set(Mention.objects.values_list("triage_tier", "triage_refine")) == {("model", "")}


@pytest.mark.django_db
def test_a_drain_out_of_time_hands_the_worker_back_and_asks_for_the_next(model, monkeypatch):
    # given three waiting, refined one at a time
    for priority in (10, 80, 30):
        pending(priority)
    # when the drain's time is up after its first batch
    report = mentions_refine_drain(batch=1, seconds=0)
    # then it stopped there, saying work is left, and the rest still waits
    assert (report.batches, report.out_of_time) == (1, True)
    assert triage_backlog().pending == 2
    # and the drain task then asks for the next drain instead of keeping the worker process
    woken: list[bool] = []
    monkeypatch.setattr(triage_tasks, "refine_wake", lambda: woken.append(True))
    monkeypatch.setattr(triage_tasks, "refine_queue_drain", lambda: DrainReport(refined=1, out_of_time=True))
    assert triage_tasks.mentions_refine_drain() == 1 and woken == [True]
    monkeypatch.setattr(triage_tasks, "refine_queue_drain", lambda: DrainReport(refined=2))
    assert triage_tasks.mentions_refine_drain() == 2 and woken == [True]


@pytest.mark.django_db
def test_while_the_intake_is_behind_a_drain_refines_one_small_batch_of_the_most_urgent(model, monkeypatch):
    # given forty waiting mentions, and more webhook deliveries waiting to be stored than the model may delay
    for priority in range(40):
        pending(priority)
    channel = ChannelFactory()
    monkeypatch.setattr(backlog_module, "YIELD_TO_INTAKE_ROWS", 3)
    monkeypatch.setattr(backlog_module, "YIELD_BATCH", 4)
    deliveries = [
        Intake.objects.create(channel=channel, source="webhook:meta", body=b"[]", body_sha256=f"b{number}")
        for number in range(3)
    ]
    # when a worker drains
    report = mentions_refine_drain(batch=10, seconds=60)
    # then it refined the four most urgent only and handed the worker back, without asking for more at once
    assert [set(batch) for batch in model.batches] == [{f"priority {priority}" for priority in (39, 38, 37, 36)}]
    assert (report.refined, report.yielded, report.out_of_time) == (4, True, False)
    # and once the intake has caught up, the next drain works the queue again
    Intake.objects.filter(pk=deliveries[0].pk).update(processed_at=timezone.now())
    report = mentions_refine_drain(batch=10, seconds=60)
    assert (report.refined, report.yielded) == (36, False)


@pytest.mark.django_db
def test_a_second_drain_while_the_only_drainer_works_leaves_the_worker_to_ingestion(model, settings):
    # given mentions waiting, and another worker process draining (it holds the one drainer's slot)
    for priority in (10, 80):
        pending(priority)
    taken, release = threading.Event(), threading.Event()

    def other_drainer() -> None:
        try:
            assert session_locks_try(backlog_module.DRAINER_LOCKS, [0]) == [0]
            taken.set()
            release.wait(10)
            session_locks_release(backlog_module.DRAINER_LOCKS, [0])
        finally:
            connection.close()

    other = threading.Thread(target=other_drainer)
    other.start()
    assert taken.wait(10)
    try:
        # when the beat's drain arrives meanwhile, it returns at once and refines nothing
        assert mentions_refine_drain(seconds=60) == DrainReport(busy=True)
        assert model.batches == []
        # and with two drainers allowed (a worker of its own for the triage queue) it takes the second slot
        settings.TRIAGE_REFINE_DRAINERS = 2
        assert mentions_refine_drain(seconds=60).refined == 2
    finally:
        release.set()
        other.join(10)


@pytest.mark.django_db
def test_over_the_bound_low_priority_keeps_its_fast_label_with_a_note(model):
    # given seven waiting mentions, four of them under the priority floor of 40
    low = [pending(priority) for priority in (5, 30, 10, 20)]
    high = [pending(priority) for priority in (45, 90, 60)]
    # when the queue may hold two
    shed = mentions_refine_shed(bound=2, keep_priority=40)
    # then all four low ones are shed (not the high ones, although the queue is still over the bound)
    assert shed == 4
    for mention in low:
        mention.refresh_from_db()
        assert (mention.triage_refine, mention.triage_tier) == ("shed", "fast")
        assert mention.triage_reasons[-1] == SHED_REASON == "Model skipped: backlog"
    assert {m.triage_refine for m in Mention.objects.filter(pk__in=[m.pk for m in high])} == {"pending"}
    assert AuditEvent.objects.filter(verb="mention.triage_shed").count() == 4
    # and the drain then refines only the high ones
    mentions_refine_drain(seconds=60)
    assert sorted(text for batch in model.batches for text in batch) == ["priority 45", "priority 60", "priority 90"]


@pytest.mark.django_db
def test_under_the_bound_nothing_is_shed_and_high_priority_never_is(model):
    for priority in (5, 10):
        pending(priority)
    assert mentions_refine_shed(bound=2, keep_priority=40) == 0
    for priority in (70, 80, 90):
        pending(priority)
    # five waiting, bound one: the two low ones go, the three high ones stay however long the queue is
    assert mentions_refine_shed(bound=1, keep_priority=40) == 2
    assert mentions_refine_shed(bound=1, keep_priority=40) == 0
    assert Mention.objects.filter(triage_refine="pending").count() == 3


@pytest.mark.django_db
def test_past_five_times_the_bound_even_urgent_mentions_keep_the_fast_label_the_least_urgent_first(model):
    # given a crisis of urgent mentions, more than five times what the queue may hold
    for priority in range(50, 62):
        pending(priority)
    # when the queue may hold two: the floor protects them up to ten
    assert mentions_refine_shed(bound=2, keep_priority=40) == 2
    waiting = Mention.objects.filter(triage_refine="pending")
    assert sorted(waiting.values_list("priority", flat=True)) == list(range(52, 62))
    assert set(Mention.objects.filter(triage_refine="shed").values_list("priority", flat=True)) == {50, 51}


@pytest.mark.django_db
def test_the_drain_sheds_using_the_settings_bound(model, settings):
    settings.TRIAGE_REFINE_BACKLOG_MAX = 3
    settings.TRIAGE_REFINE_SHED_BELOW = 40
    for priority in (1, 2, 3, 4, 5, 50):
        pending(priority)
    report = mentions_refine_drain(seconds=60)
    # six waiting, the bound three: the three lowest are shed, the rest refined
    assert (report.shed, report.refined) == (3, 3)
    assert sorted(Mention.objects.filter(triage_refine="shed").values_list("priority", flat=True)) == [1, 2, 3]


@pytest.mark.django_db
def test_a_claim_is_a_lease_that_expires():
    first = pending(50)
    assert mentions_refine_claim(limit=10, lease_seconds=60) == [first.pk]
    # a second worker sees nothing claimable while the lease lives
    assert mentions_refine_claim(limit=10) == []
    # a worker that died: its lease runs out and the mention is claimable again
    Mention.objects.filter(pk=first.pk).update(triage_refine_claimed_until=timezone.now() - timedelta(seconds=1))
    assert mentions_refine_claim(limit=10) == [first.pk]


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_the_same_mention():
    # given 300 waiting mentions
    channel = ChannelFactory()
    expected = {pending(priority % 100, channel=channel).pk for priority in range(300)}
    barrier = threading.Barrier(2)
    claims: list[list[int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(3):
                claims.append(mentions_refine_claim(limit=60))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    # when two workers claim at the same moment, three batches each
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then every mention was claimed by exactly one of them
    assert errors == []
    claimed = [mention_id for claim in claims for mention_id in claim]
    assert len(claimed) == len(set(claimed)) == 300
    assert set(claimed) == expected


@pytest.mark.django_db
def test_ingestion_queues_new_mentions_in_the_database_even_without_a_broker(settings, monkeypatch):
    settings.TRIAGE_MODEL_TIER = True

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(triage_tasks.mentions_refine_drain, "delay", broker_down)
    item = NormalizedMention(
        external_id="x-1",
        text="How do I change my plan in the app?",
        author=NormalizedAuthor(external_id="a-1", handle="someone"),
        posted_at=timezone.now() - timedelta(minutes=1),
    )
    report = mentions_ingest(channel=ChannelFactory(), mentions=[item])
    triage_tasks.refine_wake()  # what the commit would run: it logs, it does not raise
    mention = Mention.objects.get(pk=report.created_ids[0])
    assert (mention.triage_refine, mention.triage_tier) == ("pending", "fast")
    assert triage_backlog().pending == 1


@pytest.mark.django_db
def test_the_health_page_and_the_api_show_the_backlog(client, community_manager, settings):
    settings.TRIAGE_REFINE_BACKLOG_MAX = 2000
    channel = ChannelFactory(name="X principal")
    pending(60, channel=channel, received_at=timezone.now() - timedelta(minutes=5))
    pending(20, channel=channel)
    MentionFactory(channel=channel, triage_refine="shed", triage_reasons=[SHED_REASON])
    client.force_login(community_manager)
    page = client.get(reverse("inbox:channels"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="backlog-pending">2<' in html
    assert 'data-testid="backlog-shed">1<' in html
    assert 'data-testid="channel-refine-pending">2<' in html
    oldest = page.context["backlog"].oldest_wait_seconds
    assert 299 <= oldest < 400
    api = client.get(reverse("api-triage-backlog")).json()
    assert (api["pending"], api["shed_last_hour"], api["bound"], api["over_bound"]) == (2, 1, 2000, False)
    assert api["pending_by_channel"] == {str(channel.pk): 2}


@pytest.mark.django_db
def test_a_department_head_cannot_see_the_backlog(client, department_head):
    client.force_login(department_head)
    assert client.get(reverse("inbox:channels")).status_code == 403
    assert client.get(reverse("api-triage-backlog")).status_code == 403


def test_the_embedded_databases_sql_appends_the_reason_too():
    """The embedded mode sheds on SQLite: the same expression, compiled for it, run by Python's sqlite3."""

    class ColumnCompiler:
        def compile(self, expression):
            return '"triage_reasons"', ()

    sql, params = JsonListAppend("triage_reasons", SHED_REASON).as_sqlite(ColumnCompiler(), None)
    sql = sql.replace("%s", "?")  # as Django's SQLite backend hands it to sqlite3
    database = sqlite3.connect(":memory:")
    try:
        row = database.execute(f"SELECT {sql} FROM (SELECT '[\"Queja\"]' AS triage_reasons)", params).fetchone()
    finally:
        database.close()
    assert json.loads(row[0]) == ["Queja", SHED_REASON]
