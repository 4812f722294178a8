"""The cost of silence: new mentions on a request's topic since it was asked, their reach, the negative share."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escalation import silence
from escalation.models import EscalationRequest
from escalation.services import chain, links, messages
from inbox.models import MentionCluster
from tests.factories import AuthorFactory, ChannelFactory, MentionFactory

SCHEMA = Path(__file__).parent / "schemas" / "adaptive-card-1.5.json"


def _cluster(channel, now) -> MentionCluster:
    return MentionCluster.objects.create(
        brand=channel.brand,
        channel=channel,
        signature=[1],
        bands=[1],
        representative_text="sin fibra",
        first_seen_at=now,
        last_seen_at=now,
    )


@pytest.fixture
def asked(db):
    return timezone.now() - timedelta(minutes=30)


@pytest.fixture
def clustered_request(department, asked):
    """A request raised from one mention of a cluster; the cluster then grows.

    The hour before asking: 4 cluster mentions, 1 negative (25 %). Since: 3 new, 2 negative (67 %),
    by two authors (one posting twice) with 1 000 and 500 followers. Noise: another cluster, and a
    cluster mention older than the hour before."""
    channel = ChannelFactory()
    cluster, other = _cluster(channel, asked), _cluster(channel, asked)
    loud, quiet = AuthorFactory(followers=1000), AuthorFactory(followers=500)
    linked = MentionFactory(channel=channel, cluster=cluster, received_at=asked - timedelta(minutes=5))
    for minutes, sentiment in ((10, "neutral"), (20, "positive"), (50, "neutral")):
        MentionFactory(
            channel=channel, cluster=cluster, sentiment=sentiment, received_at=asked - timedelta(minutes=minutes)
        )
    MentionFactory(channel=channel, cluster=cluster, received_at=asked - timedelta(hours=2))
    MentionFactory(channel=channel, cluster=cluster, author=loud, received_at=asked + timedelta(minutes=1))
    MentionFactory(channel=channel, cluster=cluster, author=loud, received_at=asked + timedelta(minutes=2))
    MentionFactory(
        channel=channel, cluster=cluster, author=quiet, sentiment="neutral", received_at=asked + timedelta(minutes=3)
    )
    MentionFactory(
        channel=channel, cluster=other, author=AuthorFactory(followers=9), received_at=asked + timedelta(minutes=4)
    )
    request = EscalationRequest.objects.create(
        department=department, question="¿Hay avería?", due_at=asked + timedelta(hours=1), created_at=asked
    )
    request.mentions.add(linked)
    return request


def test_the_figures_of_a_clustered_request(clustered_request):
    figures = silence.request_silence(request=clustered_request)

    assert figures.basis == "cluster"
    assert figures.new_mentions == 3
    assert figures.reach == 1500  # two distinct authors
    assert figures.negative_share_before == pytest.approx(0.25)
    assert figures.negative_share_since == pytest.approx(2 / 3)
    assert figures.share_change_points == 42


def test_without_a_cluster_the_brand_mentions_sharing_the_top_terms_count(department, asked):
    channel, elsewhere = ChannelFactory(), ChannelFactory(brand="Otra")
    linked = MentionFactory(channel=channel, text="Factura duplicada, la factura de marzo", received_at=asked)
    MentionFactory(
        channel=channel,
        text="Otra FACTURA mal",
        author=AuthorFactory(followers=7),
        received_at=asked + timedelta(minutes=1),
    )
    MentionFactory(channel=channel, text="Sin fibra", received_at=asked + timedelta(minutes=1))
    MentionFactory(channel=elsewhere, text="factura", received_at=asked + timedelta(minutes=1))
    request = EscalationRequest.objects.create(
        department=department, question="?", due_at=asked + timedelta(hours=1), created_at=asked
    )
    request.mentions.add(linked)

    figures = silence.request_silence(request=request)

    assert silence.top_terms([linked.text]) == ["factura", "duplicada", "marzo"]
    assert (figures.basis, figures.new_mentions, figures.reach) == ("terms", 1, 7)
    assert figures.negative_share_before is None and figures.share_change_points is None


def test_with_no_term_the_brand_negative_mentions_count(department, asked):
    channel = ChannelFactory()
    linked = MentionFactory(channel=channel, text="¡¡ya!!", received_at=asked - timedelta(minutes=1))
    MentionFactory(channel=channel, text="mal", received_at=asked + timedelta(minutes=1))
    MentionFactory(channel=channel, text="bien", sentiment="positive", received_at=asked + timedelta(minutes=1))
    request = EscalationRequest.objects.create(
        department=department, question="?", due_at=asked + timedelta(hours=1), created_at=asked
    )
    request.mentions.add(linked)

    figures = silence.request_silence(request=request)

    assert (figures.basis, figures.new_mentions) == ("negative", 1)
    assert figures.negative_share_before == 1.0 and figures.negative_share_since == 0.5
    assert figures.share_change_points == -50


def _grow(request, count: int) -> None:
    cluster = request.mentions.get().cluster
    for _index in range(count):
        MentionFactory(channel=cluster.channel, cluster=cluster, received_at=request.created_at + timedelta(seconds=5))


def test_the_query_count_does_not_depend_on_the_mentions(clustered_request, department, asked):
    second = EscalationRequest.objects.create(department=department, question="?", due_at=asked, created_at=asked)
    second.mentions.add(*clustered_request.mentions.all())
    requests = [clustered_request, second]
    _grow(clustered_request, 10)
    with CaptureQueriesContext(connection) as few:
        first = silence.requests_silence(requests=requests)
    _grow(clustered_request, 90)
    with CaptureQueriesContext(connection) as many:
        later = silence.requests_silence(requests=requests)

    assert len(few) == len(many) == 1 + len(requests)
    assert (first[second.pk].new_mentions, later[second.pk].new_mentions) == (13, 103)


def test_the_desk_card_and_its_refresh_show_the_figure(client, department_head, clustered_request):
    client.force_login(department_head)

    desk = client.get(reverse("escalation:desk")).content.decode()
    card = client.get(reverse("escalation:silence", args=[clustered_request.pk])).content.decode()

    assert 'data-testid="silence"' in desk and "hx-trigger" in desk
    for page in (desk, card):
        assert "3 new mentions" in page and ("1.500" in page or "1,500" in page)
        assert "+42" in page


def test_the_signed_page_shows_the_figure(client, department_head, clustered_request):
    token = links.request_link_token(request_id=clustered_request.pk, user_id=department_head.pk)
    page = client.get(reverse("escalation:respond", args=[clustered_request.pk, token]))

    assert page.status_code == 200
    assert 'data-testid="silence"' in page.content.decode()
    assert "3 new mentions" in page.content.decode()


def _message(request) -> messages.StepMessage:
    return messages.step_message(
        request=request,
        position=chain.Position(step=0, attempt=0),
        link="https://desk.example/r",
        desk_link="https://desk.example",
    )


def test_every_medium_carries_the_silence_line(clustered_request):
    message = _message(clustered_request)
    text, html = messages.email_bodies(message)
    slack = json.dumps(messages.slack_payload(message), ensure_ascii=False)
    card = messages.teams_card(message)

    assert "3 new mentions" in message.silence_line and "+42" in message.silence_line
    assert message.silence_line in text and message.silence_line in html
    assert message.silence_line in slack
    assert message.silence_line in json.dumps(card, ensure_ascii=False)
    jsonschema.Draft6Validator(json.loads(SCHEMA.read_text())).validate(card)


def test_the_dashboard_lists_the_open_requests_by_new_mentions(client, director, clustered_request, department, asked):
    quiet = EscalationRequest.objects.create(department=department, question="¿Calma?", due_at=asked, created_at=asked)
    client.force_login(director)

    rows = silence.open_requests_silence()
    page = client.get(reverse("playbooks:dashboard")).content.decode()

    assert [row.request.pk for row in rows] == [clustered_request.pk, quiet.pk]
    assert 'data-testid="silence-table"' in page and f"#{clustered_request.pk}" in page
