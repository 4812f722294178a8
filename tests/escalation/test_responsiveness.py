"""Department responsiveness: exact percentiles on a known data set, the windows, roles, CSV, the pages."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone as django_timezone

from escalation import responsiveness
from escalation.models import EscalationRequest, RequestStatus
from playbooks.models import Crisis
from tests import factories

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_percentile_interpolates_between_ranks():
    assert responsiveness.percentile([], 0.5) is None
    assert responsiveness.percentile([7], 0.9) == 7
    assert responsiveness.percentile([60, 120, 300, 5400], 0.5) == 210
    assert responsiveness.percentile([60, 120, 300, 5400], 0.9) == pytest.approx(3870)


def _request(department, *, days_ago, ack=None, answer=None, due=3600, crisis=None):
    created = NOW - timedelta(days=days_ago)
    return EscalationRequest.objects.create(
        department=department,
        question="¿?",
        crisis=crisis,
        created_at=created,
        due_at=created + timedelta(seconds=due),
        acknowledged_at=created + timedelta(seconds=ack) if ack is not None else None,
        answered_at=created + timedelta(seconds=answer) if answer is not None else None,
        status=RequestStatus.ANSWERED if answer is not None else RequestStatus.OPEN,
    )


@pytest.fixture
def known(department, other_department):
    """Técnica's requests (seconds to acknowledge / answer; the deadline is an hour unless said)."""
    _request(department, days_ago=1, ack=60, answer=600)
    _request(department, days_ago=2, ack=120, answer=1200)
    _request(department, days_ago=3, answer=5400)  # answered without acknowledging, late
    _request(department, days_ago=4, ack=300)  # never answered, past its deadline
    _request(department, days_ago=10 / 1440, due=3600)  # ten minutes old, not yet due
    _request(department, days_ago=20, ack=30, answer=7200)  # late
    _request(department, days_ago=60, ack=600, answer=1800)
    _request(department, days_ago=100, ack=1, answer=2)  # outside every window
    _request(other_department, days_ago=1, ack=10, answer=20)


def _by_name(rows):
    return {row.department: row for row in rows}


@pytest.mark.django_db
def test_the_figures_over_7_30_and_90_days(known, director):
    week = _by_name(responsiveness.department_responsiveness(user=director, days=7, now=NOW))["Técnica"]
    assert (week.requests, week.acknowledged, week.answered) == (5, 4, 3)
    assert week.acknowledge_p50_seconds == 210 and week.acknowledge_p90_seconds == pytest.approx(3870)
    assert week.answer_p50_seconds == 1200 and week.answer_p90_seconds == pytest.approx(4560)
    assert (week.answered_late, week.late_share, week.overdue_unanswered) == (1, pytest.approx(1 / 3), 1)
    month = _by_name(responsiveness.department_responsiveness(user=director, days=30, now=NOW))["Técnica"]
    assert (month.acknowledge_p50_seconds, month.answer_p50_seconds, month.late_share) == (120, 3300, 0.5)
    quarter = _by_name(responsiveness.department_responsiveness(user=director, days=90, now=NOW))["Técnica"]
    assert (quarter.requests, quarter.acknowledge_p50_seconds, quarter.answer_p50_seconds) == (7, 210, 1800)
    assert quarter.late_share == pytest.approx(2 / 5)
    assert quarter.promised_missed == 0


@pytest.mark.django_db
def test_a_promise_missed_counts_whether_answered_late_or_not_at_all(known, department, director):
    kept = _request(department, days_ago=5, ack=60, answer=900)
    late = _request(department, days_ago=5, ack=60, answer=4000)
    silent = _request(department, days_ago=5, ack=60)
    for item, promised in ((kept, 1200), (late, 1800), (silent, 1800)):
        item.promised_at = item.created_at + timedelta(seconds=promised)
        item.save(update_fields=["promised_at"])
    week = _by_name(responsiveness.department_responsiveness(user=director, days=7, now=NOW))["Técnica"]
    assert week.promised_missed == 2


@pytest.mark.django_db
def test_a_head_sees_only_their_department_and_others_see_all(
    known, department_head, community_manager, director, admin_user
):
    assert [row.department for row in responsiveness.department_responsiveness(user=department_head, now=NOW)] == [
        "Técnica"
    ]
    for user in (community_manager, director, admin_user):
        names = [row.department for row in responsiveness.department_responsiveness(user=user, now=NOW)]
        assert names == ["Jurídico", "Técnica"]


@pytest.mark.django_db
def test_one_crisis_counts_only_its_own_requests(department, director):
    crisis = Crisis.objects.create(title="Caída", crisis_type="technical")
    _request(department, days_ago=200, ack=90, answer=900, crisis=crisis)
    _request(department, days_ago=1, ack=10, answer=20)
    rows = responsiveness.department_responsiveness(user=director, days=None, crisis_id=crisis.pk, now=NOW)
    assert [(row.department, row.requests, row.answer_p50_seconds) for row in rows] == [("Técnica", 1, 900)]


def _csv(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.django_db
def test_the_csv_export_guards_formulas_and_respects_roles(known, department_head, director, client, monkeypatch):
    monkeypatch.setattr(django_timezone, "now", lambda: NOW)
    factories.DepartmentFactory(slug="formula", name='=HYPERLINK("http://evil")')
    client.force_login(director)
    rows = _csv(client.get("/escalation/responsiveness.csv", {"days": "7"}))
    assert rows[0][:3] == ["department", "days", "requests"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Técnica"][1:4] == ["7", "5", "4"]
    assert by_name["Técnica"][4] == "210.0"
    assert '\'=HYPERLINK("http://evil")' in by_name
    client.force_login(department_head)
    assert [row[0] for row in _csv(client.get("/escalation/responsiveness.csv"))[1:]] == ["Técnica"]


@pytest.mark.django_db
def test_the_dashboard_the_review_and_the_on_call_page_show_the_table(
    known, department, director, department_head, client, monkeypatch
):
    monkeypatch.setattr(django_timezone, "now", lambda: NOW)
    crisis = Crisis.objects.create(title="Caída", crisis_type="technical")
    _request(department, days_ago=1, ack=90, answer=900, crisis=crisis)
    client.force_login(director)
    dashboard = client.get("/dashboard/", {"responsiveness": "7"}).content.decode()
    assert 'data-testid="dashboard-responsiveness"' in dashboard and "Técnica" in dashboard
    review = client.get(f"/crises/{crisis.pk}/review/").content.decode()
    assert 'data-testid="review-responsiveness"' in review and "15 min" in review
    client.force_login(department_head)
    page = client.get("/escalation/on-call/", {"days": "90"}).content.decode()
    assert 'data-testid="responsiveness"' in page and "Jurídico" not in page
