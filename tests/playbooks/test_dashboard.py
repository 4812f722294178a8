"""The director sees volume, sentiment, topics, response times and escalations from rollups."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox.connectors.base import NormalizedAuthor, NormalizedMention
from inbox.services import mentions_ingest
from inbox.vocabulary import brand_vocabulary_seed_demo
from playbooks.dashboard import dashboard_figures
from tests.factories import ChannelFactory, MentionFactory

pytestmark = pytest.mark.django_db


def _mention(number: int, text: str) -> NormalizedMention:
    return NormalizedMention(
        external_id=f"dash-{number}", text=text, posted_at=timezone.now(),
        author=NormalizedAuthor(external_id=f"author-{number}", handle=f"cliente{number}"),
    )


def test_dashboard_counts_what_the_pipeline_ingested():
    channel = ChannelFactory()
    brand_vocabulary_seed_demo(brand=channel.brand)
    mentions_ingest(channel=channel, mentions=[
        _mention(1, "Sin servicio en Madrid desde esta mañana, vergüenza"),
        _mention(2, "Otra caída de la fibra, sin internet"),
        _mention(3, "Gracias por la ayuda, genial"),
    ])
    figures = dashboard_figures()
    assert figures.volume == 3
    assert figures.sentiment_share["negative"] == pytest.approx(2 / 3, abs=0.01)
    assert figures.sentiment_share["positive"] == pytest.approx(1 / 3, abs=0.01)
    assert figures.top_topics[0]["topic"] == "outage"
    assert figures.unanswered == 3
    assert sum(point["per_minute"] for point in figures.per_minute) > 0
    assert figures.levels == [{"brand": "Telco", "level": 0}]


def test_first_response_percentiles_come_from_replied_mentions():
    now = timezone.now()
    for minutes in (1, 2, 3, 4, 10):
        MentionFactory(
            received_at=now - timedelta(minutes=30),
            first_response_at=now - timedelta(minutes=30 - minutes),
            status="replied",
        )
    figures = dashboard_figures(now=now)
    assert figures.first_response.p50_seconds == pytest.approx(180, abs=1)
    assert 240 <= figures.first_response.p90_seconds <= 600
    assert (figures.first_response.answered, figures.first_response.waiting) == (5, 0)


def test_dashboard_does_not_read_more_queries_as_data_grows():
    channel = ChannelFactory()
    mentions_ingest(channel=channel, mentions=[_mention(index, "sin servicio") for index in range(5)])
    with CaptureQueriesContext(connection) as small:
        dashboard_figures()
    mentions_ingest(channel=channel, mentions=[_mention(index, "sin servicio") for index in range(5, 300)])
    with CaptureQueriesContext(connection) as large:
        dashboard_figures()
    assert len(large) == len(small)


def test_dashboard_page_and_data_are_for_directors_not_department_heads(client, director, department_head):
    client.force_login(director)
    assert client.get("/dashboard/").status_code == 200
    data = client.get("/dashboard/data/")
    assert data.status_code == 200 and "volume" in data.json()
    client.force_login(department_head)
    assert client.get("/dashboard/data/").status_code == 403


def test_dashboard_figures_are_in_the_api_for_directors_only(director, department_head):
    from rest_framework.test import APIClient

    channel = ChannelFactory()
    brand_vocabulary_seed_demo(brand=channel.brand)
    mentions_ingest(channel=channel, mentions=[_mention(1, "Sin servicio en Bilbao")])
    client = APIClient()
    client.force_authenticate(director)
    response = client.get("/api/dashboard/")
    assert response.status_code == 200
    assert response.json()["volume"] == 1
    assert response.json()["top_topics"][0]["topic"] == "outage"
    client.force_authenticate(department_head)
    assert client.get("/api/dashboard/").status_code == 403
