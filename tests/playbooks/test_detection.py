"""Detection: the simulator's calm morning raises nothing; its outage spike raises a technical alert fast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox.connectors.simulator import MINUTE, SimulatorConnector, scripted_day
from inbox.models import MentionMinuteStat
from inbox.services import mentions_ingest
from inbox.vocabulary import brand_vocabulary_seed_demo
from playbooks.detection import alerts_detect, signals_evaluate
from playbooks.models import Alert, AlertSignal, AlertStatus, CrisisType
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

DAY_START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
OUTAGE_START_MINUTE = 120


class ScriptedDay:
    """Feeds the scripted day through the real ingestion pipeline, one simulated minute at a time."""

    def __init__(self, channel):
        self.channel = channel
        brand_vocabulary_seed_demo(brand=channel.brand)
        self.connector = SimulatorConnector(config={"brand": "Telco"})
        self.by_minute: dict[int, list] = {}
        for second, item in scripted_day(brand="Telco"):
            self.by_minute.setdefault(int(second // MINUTE), []).append((second, item))

    def play_minute(self, minute: int) -> None:
        items = self.by_minute.get(minute, [])
        for second, item in items:
            received = DAY_START + timedelta(seconds=second)
            mention = self.connector.normalise(item, posted_at=received)
            mentions_ingest(channel=self.channel, mentions=[mention], source="test", now=received)

    def detect_after(self, minute: int) -> list[Alert]:
        return alerts_detect(now=DAY_START + timedelta(minutes=minute + 1))


def test_the_calm_morning_raises_no_alert_and_the_outage_raises_a_technical_one_within_two_minutes():
    # Given the simulator's scripted day fed minute by minute through the real pipeline
    day = ScriptedDay(ChannelFactory(brand="Telco"))

    # When detection runs after every simulated minute of the calm morning
    for minute in range(OUTAGE_START_MINUTE):
        day.play_minute(minute)
        day.detect_after(minute)

    # Then nothing has fired (and the rollups really were filled by the pipeline)
    assert MentionMinuteStat.objects.filter(brand="Telco", topic="").count() > 60
    assert Alert.objects.count() == 0

    # When the outage begins
    opened: list[tuple[int, Alert]] = []
    for minute in range(OUTAGE_START_MINUTE, OUTAGE_START_MINUTE + 2):
        day.play_minute(minute)
        opened += [(minute + 1, alert) for alert in day.detect_after(minute)]

    # Then an alert is open no more than two simulated minutes after the spike began
    assert opened, "the outage spike raised no alert within two minutes"
    first_minute, _ = opened[0]
    assert first_minute - OUTAGE_START_MINUTE <= 2
    volume = Alert.objects.get(signal=AlertSignal.VOLUME, topic="")
    assert volume.suggested_type == CrisisType.TECHNICAL
    assert volume.suggested_level >= 2
    assert 1 <= volume.severity <= 10
    assert "outage" in volume.explanation["top_topics"]
    assert volume.explanation["sample_mentions"]
    assert {alert.suggested_type for _, alert in opened} == {CrisisType.TECHNICAL}


def test_an_alert_is_deduplicated_while_the_spike_lasts_and_then_closes():
    # Given an outage that has already raised its alerts
    day = ScriptedDay(ChannelFactory(brand="Telco"))
    for minute in range(100, 130):
        day.play_minute(minute)
    first = day.detect_after(121)
    assert first

    # When detection keeps running during the spike
    again = day.detect_after(125)

    # Then no new alert is opened; the open ones are refreshed
    assert again == []
    volume = Alert.objects.get(signal=AlertSignal.VOLUME, topic="")
    assert volume.last_seen_at == DAY_START + timedelta(minutes=126)
    assert Alert.objects.filter(signal=AlertSignal.VOLUME, topic="").count() == 1

    # When the stream goes quiet, the alert closes, and the cool-down stops it from reopening at once
    alerts_detect(now=DAY_START + timedelta(minutes=140))
    volume.refresh_from_db()
    assert volume.status == AlertStatus.CLOSED


def test_the_baseline_learns_the_hour_of_the_week():
    # Given a brand whose Monday 10:00 always has about 30 mentions a minute (four weeks of history)
    channel = ChannelFactory(brand="Busy")
    now = datetime(2026, 3, 30, 10, 0, tzinfo=UTC)
    rows = []
    for week in range(1, 5):
        centre = now - timedelta(weeks=week)
        for offset in range(-30, 30):
            rows.append(
                MentionMinuteStat(
                    minute=centre + timedelta(minutes=offset),
                    brand="Busy",
                    channel=channel,
                    topic="",
                    volume=30 + offset % 3,
                    negative=3,
                )
            )
    # and today the same 30 a minute
    for offset in range(1, 4):
        rows.append(
            MentionMinuteStat(
                minute=now - timedelta(minutes=offset),
                brand="Busy",
                channel=channel,
                topic="",
                volume=31,
                negative=3,
            )
        )
    MentionMinuteStat.objects.bulk_create(rows)

    # When the signals are evaluated
    firings = signals_evaluate(brand="Busy", now=now)

    # Then the normal Monday rhythm is not a spike, although 31 a minute is far above the cold-start prior
    assert firings == []

    # But triple the usual rhythm is
    MentionMinuteStat.objects.filter(brand="Busy", minute__gte=now - timedelta(minutes=3)).update(volume=95)
    firings = signals_evaluate(brand="Busy", now=now)
    assert [firing.signal for firing in firings] == [AlertSignal.VOLUME]
    assert firings[0].baseline.source == "hour_of_week"
