"""Reach-weighted detection: two posts a minute from very loud accounts open an alert that counting
alone misses; the simulator's calm morning, weighted the same way, opens none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inbox.connectors.base import NormalizedAuthor, NormalizedMention
from inbox.connectors.simulator import MINUTE, SimulatorConnector, scripted_day
from inbox.connectors.x import XConnector
from inbox.models import Mention, MentionMinuteStat
from inbox.services import mentions_ingest
from inbox.stats import reach_weight
from playbooks.baselines import signals_evaluate
from playbooks.detection import alerts_detect
from playbooks.models import Alert, AlertSignal
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
COUNTING = {AlertSignal.VOLUME, AlertSignal.NEGATIVE_SHARE, AlertSignal.COMPLAINTS, AlertSignal.HIGH_REACH}


def _post(number: int, *, minute: int, followers: int, engagement: int, text: str) -> NormalizedMention:
    return NormalizedMention(
        external_id=f"reach-{number}",
        text=text,
        posted_at=START + timedelta(minutes=minute),
        author=NormalizedAuthor(external_id=f"author-{number}", handle=f"cuenta{number}", followers=followers),
        engagement=engagement,
    )


def _ingest_minute(channel, minute: int, posts: list[NormalizedMention]) -> None:
    mentions_ingest(channel=channel, mentions=posts, source="test", now=START + timedelta(minutes=minute, seconds=5))


def test_a_few_posts_from_very_loud_accounts_open_a_reach_alert_that_counting_alone_misses():
    # Given half an hour of ordinary traffic: one or two mentions a minute from small accounts
    channel = ChannelFactory(brand="Telco")
    number = 0
    for minute in range(30):
        posts = []
        for _ in range(1 + minute % 2):
            number += 1
            posts.append(_post(number, minute=minute, followers=150, engagement=2, text="¿Abrís la tienda el sábado?"))
        _ingest_minute(channel, minute, posts)

    # When, for two minutes, just two posts a minute come from accounts with two million followers, widely shared
    for minute in (30, 31):
        loud = []
        for _ in range(2):
            number += 1
            loud.append(
                _post(number, minute=minute, followers=2_000_000, engagement=40_000,
                      text="Lo que está haciendo esta marca con sus clientes es un escándalo")
            )
        _ingest_minute(channel, minute, loud)
    now = START + timedelta(minutes=32)

    # Then no counting signal sees anything: two a minute is ordinary volume, below every count floor
    firings = signals_evaluate(brand="Telco", now=now)
    assert COUNTING.isdisjoint(firing.signal for firing in firings)
    # but reach does: each post weighs like a crowd
    [reach] = [firing for firing in firings if firing.topic == ""]
    assert reach.signal == AlertSignal.REACH
    assert reach.observed == pytest.approx(2 * reach_weight(followers=2_000_000, engagement=40_000))
    assert reach.observed > reach.threshold > 5 * reach.baseline.mean

    # and detection opens the alert, explained by the loud accounts, the baseline and now
    [alert] = alerts_detect(now=now)
    assert alert.signal == AlertSignal.REACH
    explanation = alert.explanation
    assert explanation["sample_mentions"][0]["followers"] == 2_000_000
    assert explanation["sample_mentions"][0]["engagement"] == 40_000
    assert explanation["now"]["per_minute"] == [pytest.approx(reach.observed, abs=0.01)] * 2
    assert explanation["baseline"]["mean"] < 4
    assert "escándalo" in explanation["top_terms"]


def test_the_same_two_posts_a_minute_from_ordinary_accounts_open_nothing():
    channel = ChannelFactory(brand="Telco")
    for minute in range(32):
        _ingest_minute(
            channel, minute,
            [
                _post(minute * 2 + extra, minute=minute, followers=150, engagement=2, text="Un escándalo")
                for extra in (0, 1)
            ],
        )
    assert signals_evaluate(brand="Telco", now=START + timedelta(minutes=32)) == []
    assert alerts_detect(now=START + timedelta(minutes=32)) == []


def test_the_simulators_calm_morning_weighted_by_reach_opens_no_alert():
    # Given the simulator's calm act (its authors' followers drawn from a heavy-tailed distribution)
    channel = ChannelFactory(brand="Telco")
    connector = SimulatorConnector(config={"brand": "Telco"})
    by_minute: dict[int, list] = {}
    for second, item in scripted_day(brand="Telco"):
        if item["act"] == "calm":
            posted = START + timedelta(seconds=second)
            by_minute.setdefault(int(second // MINUTE), []).append(connector.normalise(item, posted_at=posted))

    # When it is ingested minute by minute and detection runs after each minute
    opened = []
    for minute in range(120):
        if by_minute.get(minute):
            _ingest_minute(channel, minute, by_minute[minute])
        opened += alerts_detect(now=START + timedelta(minutes=minute + 1))

    # Then reach was measured, and nothing fired
    assert MentionMinuteStat.objects.filter(brand="Telco", topic="", reach__gt=0).count() > 60
    assert opened == [] and Alert.objects.count() == 0


def test_x_public_metrics_become_the_mentions_engagement_and_weigh_in_the_rollup():
    # Given a post X returns with its public metrics
    channel = ChannelFactory(brand="Telco", kind="x")
    tweet = {
        "id": "1790000000000000001",
        "text": "@Telco_es sin servicio en todo Madrid",
        "author_id": "42",
        "created_at": "2026-03-02T08:00:00.000Z",
        "public_metrics": {"like_count": 1200, "retweet_count": 300, "reply_count": 45, "quote_count": 5},
    }
    users = {"42": {"id": "42", "username": "famosa", "public_metrics": {"followers_count": 900_000}}}
    mention = XConnector(config={}).normalise(tweet, users=users, parents={})
    assert mention.engagement == 1550

    # When it is ingested
    mentions_ingest(channel=channel, mentions=[mention], source="test", now=START)

    # Then the engagement is kept on the mention and its reach weight in the minute's rollup
    assert Mention.objects.get().engagement == 1550
    stat = MentionMinuteStat.objects.get(brand="Telco", topic="")
    assert stat.reach == pytest.approx(reach_weight(followers=900_000, engagement=1550))
