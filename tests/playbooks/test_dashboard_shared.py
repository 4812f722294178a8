"""Five directors on the dashboard during a crisis: the figures of a range are computed once for all of them,
and a crisis declared or an escalation raised is never hidden by figures kept from before."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from playbooks import services as playbook_services
from tests.factories import ChannelFactory, MentionFactory, UserFactory

pytestmark = pytest.mark.django_db

DATA = "/dashboard/data/"


@pytest.fixture(autouse=True)
def _pages_shared(settings):
    settings.SHARED_PAGE_SECONDS = 30


def mention_reads(queries: CaptureQueriesContext) -> int:
    return sum('"inbox_mention"' in query["sql"] for query in queries.captured_queries)


def test_the_second_director_is_served_the_figures_the_first_one_computed(client, director):
    MentionFactory.create_batch(3, channel=ChannelFactory(brand="Telco"))
    colleague = UserFactory(role="director", username="marta")
    client.force_login(director)
    first = client.get(DATA, {"range": "24h"})

    client.force_login(colleague)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(DATA, {"range": "24h"})
    other_range = client.get(DATA, {"range": "1h"})

    assert first.status_code == second.status_code == other_range.status_code == 200
    assert mention_reads(queries) == 0
    assert second.json() == first.json() and second.json()["unanswered"] == 3
    assert second["Content-Type"] == "application/json"
    assert other_range.json()["range"]["key"] == "1h"


def test_a_crisis_declared_to_the_directors_shows_at_once(
    client, director, community_manager, django_capture_on_commit_callbacks
):
    ChannelFactory(brand="Telco")
    client.force_login(director)
    before = client.get(DATA, {"range": "24h"}).json()
    assert all(level["level"] == 0 for level in before["levels"])

    with django_capture_on_commit_callbacks(execute=True):
        playbook_services.crisis_declare(
            actor=community_manager, crisis_type="technical", level=3, title="Caída", brand="Telco"
        )
    after = client.get(DATA, {"range": "24h"}).json()

    assert {level["brand"]: level["level"] for level in after["levels"]}["Telco"] == 3


def test_figures_nobody_announced_show_once_the_kept_ones_expire(client, director, settings):
    settings.SHARED_PAGE_SECONDS = 1
    client.force_login(director)
    assert client.get(DATA, {"range": "24h"}).json()["unanswered"] == 0
    MentionFactory()  # written without an event to the directors
    assert client.get(DATA, {"range": "24h"}).json()["unanswered"] == 0
    time.sleep(1.2)
    assert client.get(DATA, {"range": "24h"}).json()["unanswered"] == 1


def test_a_department_head_is_refused_even_a_kept_page(client, director, department_head):
    client.force_login(director)
    assert client.get(DATA, {"range": "24h"}).status_code == 200
    client.force_login(department_head)
    assert client.get(DATA, {"range": "24h"}).status_code == 403
