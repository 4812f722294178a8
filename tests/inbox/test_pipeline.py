"""The ingestion pipeline: mentions are stored once, bad items are kept aside, failures back off."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from inbox import services
from inbox.connectors.base import ConnectorError, FetchResult, RejectedItem
from inbox.models import Author, DeadLetter, Mention, MentionMinuteStat
from tests.factories import ChannelFactory
from tests.inbox.builders import normalized
from tests.realtime import GroupListener

pytestmark = pytest.mark.django_db


class BrokenConnector:
    def fetch_since(self, cursor):
        raise ConnectorError("HTTP 503 from https://platform.example/api")


class CrashingConnector:
    def fetch_since(self, cursor):
        raise KeyError("data")


def test_the_same_mention_twice_is_stored_once():
    channel = ChannelFactory()
    first = services.mentions_ingest(channel=channel, mentions=[normalized("m-1")])
    second = services.mentions_ingest(channel=channel, mentions=[normalized("m-1")])

    assert (first.created, first.duplicates) == (1, 0)
    assert (second.created, second.duplicates) == (0, 1)
    assert Mention.objects.filter(channel=channel, external_id="m-1").count() == 1


def test_duplicates_inside_one_batch_are_stored_once():
    channel = ChannelFactory()
    report = services.mentions_ingest(
        channel=channel, mentions=[normalized("m-1"), normalized("m-2"), normalized("m-1"), normalized("m-2")]
    )
    assert report.created == 2
    assert report.duplicates == 2
    assert Mention.objects.filter(channel=channel).count() == 2


def test_malformed_items_go_to_dead_letters_and_the_rest_is_stored():
    channel = ChannelFactory()
    naive = replace(normalized("m-naive"), posted_at=datetime(2026, 1, 1))
    report = services.mentions_ingest(
        channel=channel,
        mentions=[
            normalized("m-ok"),
            normalized("x" * 200),
            normalized("m-empty", text="   "),
            naive,
            normalized("m-nul", text="Sin\x00 servicio", raw={"note": "a\x00b"}),
        ],
        rejected=[RejectedItem(reason="missing_text: 'text' is missing", payload={"id": "m-bad"})],
    )

    assert report.created == 2
    assert report.rejected == 4
    assert set(Mention.objects.filter(channel=channel).values_list("external_id", flat=True)) == {
        "m-ok",
        "m-nul",
    }
    assert Mention.objects.get(external_id="m-nul").text == "Sin servicio"
    reasons = sorted(letter.reason.split(":")[0] for letter in DeadLetter.objects.filter(channel=channel))
    assert reasons == ["empty_text", "invalid_date", "invalid_id", "missing_text"]
    assert '"m-bad"' in DeadLetter.objects.get(reason__startswith="missing_text").payload


def test_author_history_counts_each_new_mention_once():
    channel = ChannelFactory()
    services.mentions_ingest(
        channel=channel, mentions=[normalized("m-1", author="javi"), normalized("m-2", author="javi")]
    )
    services.mentions_ingest(
        channel=channel, mentions=[normalized("m-2", author="javi"), normalized("m-3", author="javi")]
    )

    author = Author.objects.get(external_id="sim-javi")
    assert author.mention_count == 3
    assert author.complaint_count == Mention.objects.filter(author=author, category="complaint").count()


def test_a_returning_author_gets_a_fresh_profile_even_when_every_mention_was_a_duplicate():
    channel = ChannelFactory()
    services.mentions_ingest(channel=channel, mentions=[normalized("m-1", author="javi", followers=10)])
    services.mentions_ingest(channel=channel, mentions=[normalized("m-1", author="javi", followers=5_000)])

    author = Author.objects.get(external_id="sim-javi")
    assert (author.followers, author.mention_count) == (5_000, 1)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_sharing_authors_neither_deadlock_nor_lose_history():
    """Four workers ingest interleaved batches over the same ten authors at once, as a viral burst does."""
    channel = ChannelFactory()
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for batch in range(5):
                services.mentions_ingest(
                    channel=channel,
                    mentions=[
                        normalized(f"w{offset}-b{batch}-{index}", author=f"fan{(index * (offset + 1)) % 10}")
                        for index in range(40)
                    ],
                )
        except BaseException as error:  # noqa: BLE001 - the assertion below reports it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Mention.objects.filter(channel=channel).count() == 4 * 5 * 40
    assert sum(Author.objects.filter(platform=channel.kind).values_list("mention_count", flat=True)) == 800


def test_minute_rollups_add_up_in_bulk(django_assert_max_num_queries):
    channel = ChannelFactory()
    batch = [
        normalized(f"m-{index}", author=f"user{index}", followers=20_000 if index == 0 else 10)
        for index in range(30)
    ]

    with django_assert_max_num_queries(15):
        services.mentions_ingest(channel=channel, mentions=batch)
    services.mentions_ingest(channel=channel, mentions=[normalized("m-late")])

    overall = MentionMinuteStat.objects.filter(channel=channel, topic="")
    assert sum(stat.volume for stat in overall) == 31
    assert sum(stat.high_reach for stat in overall) == 1


def test_one_mention_new_event_per_batch_is_published_after_commit(django_capture_on_commit_callbacks):
    channel = ChannelFactory()
    with GroupListener("inbox") as inbox:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            report = services.mentions_ingest(
                channel=channel, mentions=[normalized(f"m-{index}") for index in range(3)]
            )
        assert callbacks  # the live event (and the rest) leaves only after the commit
        with django_capture_on_commit_callbacks(execute=True) as duplicates:
            services.mentions_ingest(channel=channel, mentions=[normalized("m-0")])
        message = inbox.receive()

    assert duplicates == []  # a batch of duplicates publishes nothing and wakes nobody
    assert message["event"]["type"] == "mention.new"
    assert message["event"]["count"] == 3
    assert sorted(message["event"]["ids"]) == sorted(report.created_ids)
    assert sorted(item["id"] for item in message["event"]["mentions"]) == sorted(report.created_ids)


def test_a_large_batch_announces_every_id_and_summarises_only_the_most_urgent(django_capture_on_commit_callbacks):
    channel = ChannelFactory()
    batch = [normalized(f"calm-{index}", f"Buenos días, ¿a qué hora abre la tienda {index}?") for index in range(30)]
    batch.append(normalized("outage", "Llevo tres días sin internet, es una vergüenza, os denuncio", followers=90000))
    with GroupListener("inbox") as inbox:
        with django_capture_on_commit_callbacks(execute=True):
            report = services.mentions_ingest(channel=channel, mentions=batch)
        payload = inbox.receive()["event"]

    assert payload["count"] == 31 and sorted(payload["ids"]) == sorted(report.created_ids)
    summaries = payload["mentions"]
    assert len(summaries) == services.LIVE_EVENT_MENTIONS < 31
    priorities = [summary["priority"] for summary in summaries]
    assert priorities == sorted(priorities, reverse=True)
    stored = Mention.objects.filter(pk__in=report.created_ids)
    assert priorities[0] == max(mention.priority for mention in stored)
    assert summaries[0]["text"].startswith("Llevo tres días sin internet")


def test_polling_the_simulator_stores_its_mentions_and_advances_the_cursor():
    started = timezone.now() - timedelta(seconds=90)
    channel = ChannelFactory(cursor={"started_at": started.isoformat(), "emitted_second": -1.0, "cycle": 0})

    report = services.channel_poll(channel_id=channel.pk)

    channel.refresh_from_db()
    assert report.created > 50
    assert Mention.objects.filter(channel=channel).count() == report.created
    assert channel.cursor["emitted_second"] > 0
    assert channel.consecutive_failures == 0
    again = services.channel_poll(channel_id=channel.pk)
    assert again.duplicates == 0


def test_a_failing_fetch_keeps_the_cursor_and_backs_off_exponentially(monkeypatch):
    cursor = {"started_at": timezone.now().isoformat(), "emitted_second": 42.0, "cycle": 0}
    channel = ChannelFactory(cursor=cursor, poll_interval_seconds=60)
    monkeypatch.setattr(services.polling, "connector_for", lambda channel: BrokenConnector())

    delays = []
    for _ in range(3):
        before = timezone.now()
        assert services.channel_poll(channel_id=channel.pk) is None
        channel.refresh_from_db()
        delays.append((channel.next_poll_at - before).total_seconds())

    assert channel.cursor == cursor
    assert channel.consecutive_failures == 3
    assert "503" in channel.last_error
    assert [round(delay, -1) for delay in delays] == [120, 240, 480]


def test_an_adapter_bug_counts_as_a_failure_instead_of_holding_the_channel(monkeypatch):
    channel = ChannelFactory()
    monkeypatch.setattr(services.polling, "connector_for", lambda channel: CrashingConnector())

    assert services.channel_poll(channel_id=channel.pk) is None

    channel.refresh_from_db()
    assert channel.consecutive_failures == 1
    assert "KeyError" in channel.last_error


def test_a_success_after_failures_resets_the_count(monkeypatch):
    channel = ChannelFactory(consecutive_failures=4)
    monkeypatch.setattr(
        services.polling,
        "connector_for",
        lambda channel: type(
            "Ok",
            (),
            {
                "fetch_since": lambda self, c: FetchResult(
                    mentions=[normalized("m-1")], next_cursor={"since": "m-1"}
                )
            },
        )(),
    )
    services.channel_poll(channel_id=channel.pk)
    channel.refresh_from_db()
    assert channel.consecutive_failures == 0
    assert channel.cursor == {"since": "m-1"}


def test_claiming_due_channels_twice_claims_each_once():
    due = ChannelFactory(next_poll_at=timezone.now() - timedelta(seconds=1))
    never_polled = ChannelFactory(next_poll_at=None)
    ChannelFactory(next_poll_at=timezone.now() + timedelta(minutes=5))
    ChannelFactory(is_enabled=False)
    ChannelFactory(kind="webhook")

    first = services.channels_claim_due()
    second = services.channels_claim_due()

    assert sorted(first) == sorted([due.pk, never_polled.pk])
    assert second == []


@pytest.mark.services
def test_ingestion_fills_the_search_vector_on_postgresql():
    """Full-text vectors are PostgreSQL-only (SQLite searches with LIKE): a service test."""
    from django.db import connection

    assert connection.vendor == "postgresql"
    channel = ChannelFactory()
    services.mentions_ingest(channel=channel, mentions=[normalized("m-1", text="Caída general de la fibra")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM inbox_mention WHERE external_id = 'm-1'")
        assert "'fibra'" in cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_batchs_authors_are_committed_and_its_mentions_triaged_before_its_own_transaction():
    """Two workers sharing new authors wait on each other only for the short write that follows."""
    channel = ChannelFactory()
    batch = [normalized(f"a-{index}", author=f"new-{index}") for index in range(5)]
    batch.append(normalized("own-1", author="brand"))
    channel.config = {"own_handles": ["brand"]}
    channel.save(update_fields=["config"])

    prepared = services.ingest.mentions_prepare(channel=channel, mentions=batch)

    assert sorted(Author.objects.values_list("handle", flat=True)) == [f"new-{index}" for index in range(5)]
    assert not Mention.objects.exists()
    assert {row["category"] for row in prepared.rows.values()} == {"complaint"}
    report = services.ingest.mentions_store(prepared)
    assert (report.created, report.own, Author.objects.count()) == (5, 1, 5)
    assert Author.objects.get(handle="new-0").mention_count == 1


def test_a_stored_mention_reads_back_exactly_as_the_network_sent_it():
    """The batch reaches PostgreSQL as one JSON document: times keep their microseconds and offset,
    texts their quotes, backslashes, emoji and right-to-left marks, the raw payload its nesting."""
    channel = ChannelFactory()
    posted = datetime(2026, 11, 20, 8, 0, 0, 123456, tzinfo=timezone.get_fixed_timezone(90))
    text = 'Dijo "nunca" \\ sin red 😡 \u202eעברית\u202c\n¿y ahora?'
    raw = {"id": "m-1", "nested": {"list": [1, 2.5, None, True], "quote": '"'}, "emoji": "🙂"}
    odd = replace(normalized("m-1", text=text, raw=raw, engagement=7), posted_at=posted)

    services.mentions_ingest(channel=channel, mentions=[odd, normalized("m-2")])

    mention = Mention.objects.get(external_id="m-1")
    assert (mention.text, mention.raw, mention.engagement, mention.posted_at) == (text, raw, 7, posted)
    assert Mention.objects.filter(channel=channel).count() == 2
