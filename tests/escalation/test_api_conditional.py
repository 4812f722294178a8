"""Polling the escalation list: each viewer's own tag, a 304 only for what that viewer already holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from escalation import services
from escalation.models import EscalationRequest

pytestmark = pytest.mark.django_db

URL = "/api/escalations/"


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def requests_in_both(community_manager, department, other_department):
    return [
        services.escalation_request_create(raised_by=community_manager, department=place, question=f"¿{place.name}?")
        for place in (department, other_department)
    ]


def test_a_head_polling_an_unchanged_desk_gets_a_304(department_head, requests_in_both):
    marta = signed_in(department_head)
    first = marta.get(URL)
    assert [item["department"] for item in first.json()["results"]] == ["tecnica"]
    assert first.headers["ETag"].startswith('W/"') and "no-cache" in first.headers["Cache-Control"]

    again = marta.get(URL, HTTP_IF_NONE_MATCH=first.headers["ETag"])

    assert again.status_code == 304 and again.content == b""


def test_a_head_of_another_department_never_gets_a_304_for_that_tag(
    department_head, other_department_head, requests_in_both
):
    etag = signed_in(department_head).get(URL).headers["ETag"]
    pilar = signed_in(other_department_head).get(URL, HTTP_IF_NONE_MATCH=etag)
    assert pilar.status_code == 200
    assert [item["department"] for item in pilar.json()["results"]] == ["juridico"]


def test_a_new_request_an_acknowledgement_and_the_deadline_passing_each_change_the_tag(
    department_head, community_manager, department, requests_in_both
):
    marta = signed_in(department_head)
    etag = marta.get(URL).headers["ETag"]
    mine = requests_in_both[0]

    services.escalation_request_acknowledge(
        request_id=mine.pk, actor=department_head, promised_at=timezone.now() + timedelta(hours=1)
    )
    acknowledged = marta.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert acknowledged.status_code == 200

    EscalationRequest.objects.filter(pk=mine.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    overdue = marta.get(URL, HTTP_IF_NONE_MATCH=acknowledged.headers["ETag"])
    assert overdue.status_code == 200 and overdue.json()["results"][0]["is_overdue"] is True

    services.escalation_request_create(raised_by=community_manager, department=department, question="¿Otra?")
    assert marta.get(URL, HTTP_IF_NONE_MATCH=overdue.headers["ETag"]).status_code == 200


def test_a_tag_is_no_way_in_without_signing_in(director, requests_in_both):
    etag = signed_in(director).get(URL).headers["ETag"]
    assert APIClient().get(URL, HTTP_IF_NONE_MATCH=etag).status_code in (401, 403)
