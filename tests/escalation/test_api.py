"""The escalation API: create, list with filters and a cursor, act; bad input is a 400, never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalation import services

pytestmark = pytest.mark.django_db


def test_a_community_manager_raises_over_the_api(client, community_manager, department, mention):
    client.force_login(community_manager)
    response = client.post(
        "/api/escalations/",
        {"department": department.slug, "question": "¿Avería?", "mention_ids": [mention.pk]},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "open" and body["mention_ids"] == [mention.pk]
    assert body["context"]["mentions"][0]["id"] == mention.pk
    assert [event["kind"] for event in body["events"]] == ["created", "notified"]


@pytest.mark.parametrize(
    "payload",
    [
        {"department": "nowhere", "question": "¿?"},
        {"department": "tecnica", "question": ""},
        {"department": "tecnica", "question": "¿?", "mention_ids": [999_999]},
        {"department": "tecnica", "question": "¿?", "due_at": "2001-01-01T00:00:00Z"},
        {"department": "tecnica", "question": "¿?", "crisis_id": 424242},
        {"department": "tecnica", "question": "¿?", "due_at": "not a date"},
    ],
)
def test_bad_input_is_a_400_with_a_reason_and_writes_nothing(client, community_manager, department, payload):
    client.force_login(community_manager)
    response = client.post("/api/escalations/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()
    assert client.get("/api/escalations/").json()["results"] == []


def test_the_list_filters_and_keeps_a_constant_number_of_queries(
    client, director, community_manager, department, other_department
):
    for number in range(3):
        services.escalation_request_create(
            raised_by=community_manager, department=department, question=f"T{number}"
        )
    legal = services.escalation_request_create(
        raised_by=community_manager, department=other_department, question="L"
    )
    client.force_login(director)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/escalations/")
    for number in range(10):
        services.escalation_request_create(
            raised_by=community_manager, department=department, question=f"M{number}"
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/escalations/")
    assert len(response.json()["results"]) == 14
    assert len(many.captured_queries) == len(few.captured_queries)

    only_legal = client.get("/api/escalations/", {"department": other_department.slug}).json()["results"]
    assert [item["id"] for item in only_legal] == [legal.pk]
    assert client.get("/api/escalations/", {"status": "bogus"}).status_code == 400


def test_the_head_answers_over_the_api_and_the_wording_becomes_a_template(
    client, community_manager, department, department_head
):
    request = services.escalation_request_create(
        raised_by=community_manager, department=department, question="¿?"
    )
    client.force_login(department_head)
    assert (
        client.post(
            f"/api/escalations/{request.pk}/answer/", {"text": ""}, content_type="application/json"
        ).status_code
        == 400
    )
    response = client.post(
        f"/api/escalations/{request.pk}/answer/",
        {"text": "Sin avería", "is_approved_wording": True},
        content_type="application/json",
    )
    assert response.status_code == 201
    client.force_login(community_manager)
    templates = client.get("/api/escalation-answers/approved/").json()
    assert [item["text"] for item in templates] == ["Sin avería"]


def test_acknowledging_a_closed_request_is_refused_with_a_reason(
    client, community_manager, department, department_head
):
    request = services.escalation_request_create(
        raised_by=community_manager, department=department, question="¿?"
    )
    services.escalation_request_close(request_id=request.pk, actor=community_manager)
    client.force_login(department_head)
    promised = (timezone.now() + timedelta(hours=1)).isoformat()
    response = client.post(
        f"/api/escalations/{request.pk}/acknowledge/", {"promised_at": promised}, content_type="application/json"
    )
    assert response.status_code == 400 and "detail" in response.json()
