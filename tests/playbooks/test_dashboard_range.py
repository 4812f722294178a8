"""Elena picks the dashboard's range, sees waiting mentions in the response time, and exports the charts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import MentionMinuteStat
from inbox.stats import hour_stats_roll, response_stat_add
from playbooks.dashboard import DashboardRangeInvalid, dashboard_figures, dashboard_range_parse
from playbooks.dashboard_response import _first_response_sql
from playbooks.models import Alert
from tests.factories import ChannelFactory, MentionFactory

pytestmark = pytest.mark.django_db


def _minute_stat(channel, minute, volume, negative=0, topic=""):
    return MentionMinuteStat.objects.create(
        minute=minute, brand=channel.brand, channel=channel, topic=topic, volume=volume, negative=negative
    )


def test_presets_choose_a_bucket_that_keeps_the_outage_readable():
    now = timezone.now()
    assert dashboard_range_parse(key="1h", now=now).bucket_minutes == 1
    assert dashboard_range_parse(key="7d", now=now).since == now - timedelta(days=7)
    assert dashboard_range_parse(key=None, now=now).key == "24h"


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("forever", "", ""),
        ("custom", "", ""),
        ("custom", "2026-12-02T10:00", "2026-12-02T09:00"),
        ("custom", "2026-10-01T00:00", "2026-12-01T00:00"),
        ("custom", "ayer", "hoy"),
    ],
)
def test_a_range_that_cannot_be_shown_is_refused_with_a_reason(key, start, end):
    with pytest.raises(DashboardRangeInvalid) as refused:
        dashboard_range_parse(key=key, start=start, end=end)
    assert str(refused.value)


def test_a_custom_range_is_read_in_the_console_time_zone():
    window = dashboard_range_parse(key="custom", start="2026-12-01T10:00", end="2026-12-01T12:00")
    assert window.since.utcoffset() == timedelta(hours=1)  # Europe/Madrid in winter
    assert window.bucket_minutes == 1


def test_the_one_hour_range_spreads_the_outage_over_sixty_points():
    channel = ChannelFactory()
    now = timezone.now().replace(second=0, microsecond=0)
    for minutes_ago in range(0, 30):
        _minute_stat(channel, now - timedelta(minutes=minutes_ago), volume=700, negative=600)
    _minute_stat(channel, now - timedelta(hours=3), volume=5)
    figures = dashboard_figures(window=dashboard_range_parse(key="1h", now=now + timedelta(seconds=30)))
    busy = [point for point in figures.per_minute if point["per_minute"] > 0]
    assert 55 <= len(figures.per_minute) <= 61
    assert len(busy) == 30 and all(point["per_minute"] == 700 for point in busy)
    assert figures.volume == 30 * 700
    assert figures.channels == [
        {
            "channel": channel.name,
            "kind": channel.kind,
            "volume": 21000,
            "negative_share": pytest.approx(0.857, abs=0.001),
        }
    ]


def test_first_response_counts_the_waiting_at_their_age_and_names_the_oldest():
    # Given four quick replies and a thousand complaints nobody has answered for twenty minutes
    now = timezone.now()
    for seconds in (30, 40, 50, 60):
        MentionFactory(
            received_at=now - timedelta(minutes=30),
            first_response_at=now - timedelta(minutes=30) + timedelta(seconds=seconds),
            status="replied",
        )
    channel = ChannelFactory()
    MentionFactory.create_batch(40, channel=channel, received_at=now - timedelta(minutes=20))
    MentionFactory(channel=channel, received_at=now - timedelta(minutes=25), is_hidden=True)
    figures = dashboard_figures(now=now)
    # Then the median is the waiting complaints' age, not the quick replies' 45 s
    assert figures.first_response.p50_seconds == pytest.approx(1200, abs=2)
    assert (figures.first_response.answered, figures.first_response.waiting) == (4, 40)
    assert figures.oldest_waiting_seconds == pytest.approx(1200, abs=2)
    assert figures.unanswered == 40


def test_open_alerts_are_on_the_dashboard():
    now = timezone.now()
    Alert.objects.create(
        brand="Telco",
        signal="volume",
        topic="fibra",
        severity=8,
        observed=40,
        baseline_mean=2,
        baseline_std=1,
        threshold=10,
        suggested_level=2,
        suggested_type="technical",
        started_at=now,
        last_seen_at=now,
    )
    figures = dashboard_figures(now=now)
    assert [(alert["topic"], alert["severity"]) for alert in figures.open_alerts] == [("fibra", 8)]


def test_each_chart_exports_as_csv_for_the_range_and_formulas_are_defused(client, director):
    channel = ChannelFactory(name='=HYPERLINK("http://evil")')
    now = timezone.now().replace(second=0, microsecond=0)
    _minute_stat(channel, now - timedelta(minutes=2), volume=12, negative=3)
    client.force_login(director)
    response = client.get("/dashboard/export/channels.csv?range=1h")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["channel", "kind", "volume", "negative_share"]
    assert rows[1][0].startswith("'=") and rows[1][2] == "12"
    volume = list(csv.reader(io.StringIO(client.get("/dashboard/export/volume.csv?range=1h").content.decode())))
    assert len(volume) > 50
    assert client.get("/dashboard/export/nothing.csv").status_code == 404
    assert client.get("/dashboard/export/volume.csv?range=custom&from=x&to=y").status_code == 400


def test_the_page_and_data_take_the_range_and_refuse_a_bad_one_with_a_message(client, director, department_head):
    client.force_login(director)
    page = client.get("/dashboard/?range=6h")
    assert page.status_code == 200
    assert 'aria-current="true"' in page.content.decode()
    assert "Europe/Madrid" in page.content.decode()
    assert client.get("/dashboard/data/?range=7d").json()["range"]["key"] == "7d"
    bad = client.get("/dashboard/data/?range=custom&from=2026-12-02T10:00&to=2026-12-01T10:00")
    assert bad.status_code == 400 and bad.json()["detail"]
    assert client.get("/dashboard/?range=nope").status_code == 400
    assert client.get("/api/dashboard/?range=nope").status_code == 400
    client.force_login(department_head)
    assert client.get("/dashboard/export/volume.csv").status_code == 403


def test_a_week_reads_whole_hours_from_the_hourly_rollup_with_the_same_figures():
    # given a week of minutes on two channels, with topics, partly rolled into hours
    now = timezone.now().replace(second=0, microsecond=0) + timedelta(seconds=20)
    x, facebook = ChannelFactory(name="X Telco"), ChannelFactory(name="Facebook Telco")
    start = now - timedelta(days=7, minutes=30)
    for step in range(0, 7 * 24 * 60 + 30, 7):
        minute = (start + timedelta(minutes=step)).replace(second=0)
        _minute_stat(x, minute, volume=3, negative=1)
        _minute_stat(x, minute, volume=2, negative=1, topic="outage")
        _minute_stat(facebook, minute, volume=1)
    window = dashboard_range_parse(key="7d", now=now)
    by_minute = dashboard_figures(window=window, now=now)

    # when the beat rolls the minutes into hours
    assert hour_stats_roll(now=now) > 0
    by_hour = dashboard_figures(window=window, now=now)

    # then the week's totals, topics and channels are the same, and the chart's buckets start on the hour
    assert by_hour.volume == by_minute.volume > 0
    assert by_hour.sentiment_share == by_minute.sentiment_share
    assert by_hour.top_topics == by_minute.top_topics
    assert [topic["topic"] for topic in by_hour.top_topics] == ["outage"]
    assert by_hour.channels == by_minute.channels
    assert sum(point["negative"] for point in by_hour.per_minute) == sum(
        point["negative"] for point in by_minute.per_minute
    )
    assert all(point["start"].endswith(":00:00+00:00") for point in by_hour.per_minute)
    # and rolling again changes nothing
    hour_stats_roll(now=now)
    assert dashboard_figures(window=window, now=now).channels == by_minute.channels


def test_a_week_of_response_times_reads_the_histogram_and_stays_close_to_exact():
    # given a week of answered mentions, counted in the response histogram as the reply services count them,
    # and a few complaints still waiting since this morning
    now = timezone.now()
    channel = ChannelFactory()
    for index in range(300):
        received = now - timedelta(days=7) + timedelta(minutes=33 * index + 7)
        mention = MentionFactory(
            channel=channel,
            received_at=received,
            first_response_at=received + timedelta(seconds=30 + 11 * index),
            status="replied",
        )
        response_stat_add(mention=mention, delta=1)
    MentionFactory.create_batch(5, channel=channel, received_at=now - timedelta(hours=6))
    window = dashboard_range_parse(key="7d", now=now)

    # when the dashboard shows the week
    histogram = dashboard_figures(window=window, now=now).first_response
    exact = _first_response_sql(window=window, now=now)

    # then it counts every answered and waiting mention, with quantiles within a few percent of exact
    assert (histogram.answered, histogram.waiting) == (exact.answered, exact.waiting) == (300, 5)
    assert histogram.p50_seconds == pytest.approx(exact.p50_seconds, rel=0.06)
    assert histogram.p90_seconds == pytest.approx(exact.p90_seconds, rel=0.06)
