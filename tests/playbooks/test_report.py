"""Elena reads the report of a crisis that is over: honest response times, the departments, who decided."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from crisisdesk.audit import audit_record
from crisisdesk.models import AuditEvent
from escalation.models import EscalationRequest, RequestStatus
from inbox.models import MentionMinuteStat, MentionStatus
from playbooks import services
from playbooks.models import Crisis, PlaybookRevision
from playbooks.report import crisis_report, delays_over_all
from tests.factories import ChannelFactory, MentionFactory, UserFactory

pytestmark = pytest.mark.django_db

MINUTE = 60


def _resolved_crisis(actor, *, started):
    crisis = services.crisis_declare(actor=actor, crisis_type="technical", level=2, title="Caída de fibra en Madrid")
    Crisis.objects.filter(pk=crisis.pk).update(
        detected_at=started, declared_at=started, resolved_at=started + timedelta(hours=2), status="resolved"
    )
    crisis.refresh_from_db()
    return crisis


def _link_mentions(crisis, *, channel, started, answered_after_minutes, unanswered):
    mentions = []
    for minutes in answered_after_minutes:
        mentions.append(
            MentionFactory(
                channel=channel,
                received_at=started,
                first_response_at=started + timedelta(minutes=minutes),
                status=MentionStatus.REPLIED,
            )
        )
    mentions += [MentionFactory(channel=channel, received_at=started) for _ in range(unanswered)]
    crisis.mentions.add(*mentions)
    return mentions


def test_two_answers_among_ten_mentions_report_eight_unanswered_and_no_median_over_all(
    community_manager, director, technical_playbook
):
    # Given a crisis of ten linked mentions, of which only two were answered (after 5 and 15 minutes)
    started = timezone.now() - timedelta(hours=3)
    crisis = _resolved_crisis(community_manager, started=started)
    _link_mentions(crisis, channel=ChannelFactory(), started=started, answered_after_minutes=[5, 15], unanswered=8)

    # When Elena's report is assembled
    report = crisis_report(crisis_id=crisis.pk, user=director)

    # Then it says eight were never answered, and the median of the two replies is named as theirs
    first = report.first_response
    assert (first.total, first.done, first.missing) == (10, 2, 8)
    assert first.done_p50_seconds == 10 * MINUTE
    # And no median over all ten is claimed: more than half were never answered
    assert first.all_p50_seconds is None
    assert first.all_p90_seconds is None


def test_the_median_over_all_mentions_counts_the_unanswered_as_slower_than_any_reply():
    # Three replies after 1, 2 and 3 minutes among four mentions: the fourth is last, never answered
    delays = delays_over_all([60.0, 120.0, 180.0], total=4)
    assert delays.all_p50_seconds == 150.0  # between the 2nd and 3rd of four, not the 2nd of three
    assert delays.done_p50_seconds == 120.0
    assert delays.all_p90_seconds is None  # the 90th percentile falls on the unanswered one
    assert delays.missing == 1


def test_resolution_counts_the_mentions_closed_and_the_ones_still_open(community_manager, director, technical_playbook):
    # Given four linked mentions of which one was closed 40 minutes after it arrived
    started = timezone.now() - timedelta(hours=3)
    crisis = _resolved_crisis(community_manager, started=started)
    mentions = _link_mentions(
        crisis, channel=ChannelFactory(), started=started, answered_after_minutes=[], unanswered=4
    )
    closed = mentions[0]
    closed.status = MentionStatus.CLOSED
    closed.save(update_fields=["status"])
    audit_record(actor=community_manager, verb="mention.close", target=closed, data={"from": "new"})
    AuditEvent.objects.filter(verb="mention.close").update(created_at=started + timedelta(minutes=40))

    # Then the report counts one resolved after 40 minutes and three unresolved
    resolution = crisis_report(crisis_id=crisis.pk, user=director).resolution
    assert (resolution.total, resolution.done, resolution.missing) == (4, 1, 3)
    assert resolution.done_p50_seconds == 40 * MINUTE


def test_department_responsiveness_matches_the_escalations_times(
    community_manager, director, department, technical_playbook
):
    # Given Técnica acknowledged after 10 minutes and answered after 30 (the deadline was 20),
    # and left a second request unanswered past its deadline
    started = timezone.now() - timedelta(hours=3)
    crisis = _resolved_crisis(community_manager, started=started)
    EscalationRequest.objects.create(
        department=department, question="¿Alcance?", crisis=crisis, created_at=started,
        due_at=started + timedelta(minutes=20), acknowledged_at=started + timedelta(minutes=10),
        answered_at=started + timedelta(minutes=30), status=RequestStatus.ANSWERED,
    )
    EscalationRequest.objects.create(
        department=department, question="¿Compensación?", crisis=crisis, created_at=started,
        due_at=started + timedelta(minutes=20), status=RequestStatus.OPEN,
    )

    # When the report is assembled
    report = crisis_report(crisis_id=crisis.pk, user=director)

    # Then the department's row has those times and one overdue request
    (row,) = report.responsiveness
    assert row.department == department.name
    assert row.requests == 2
    assert row.acknowledge_p50_seconds == 10 * MINUTE
    assert row.answer_p50_seconds == 30 * MINUTE
    assert row.answered_late == 1
    assert row.overdue_unanswered == 1
    assert report.overdue_escalations == 1


def test_the_page_shows_the_figures_decisions_statements_and_lessons(
    client, community_manager, director, technical_playbook
):
    # Given a crisis with a level change, an approved statement, review notes and a recorded case
    started = timezone.now() - timedelta(hours=3)
    with translation.override("en"):
        crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
        services.crisis_level_change(crisis_id=crisis.pk, level=3, actor=director)
        statement = services.statement_submit(
            crisis_id=crisis.pk, body="Estamos trabajando en ello", author=community_manager
        )
        services.statement_decide(crisis_id=crisis.pk, statement_id=statement.pk, approver=director, approve=True)
    Crisis.objects.filter(pk=crisis.pk).update(
        resolved_at=timezone.now(), status="reviewed", reviewed_at=timezone.now(),
        review_notes="Avisar antes a Técnica",
    )
    PlaybookRevision.objects.create(
        playbook=technical_playbook, crisis=crisis, base_version=technical_playbook.versions.first(),
        case="Nadie tenía el teléfono de guardia", change={"kind": "step"}, proposed_by=director,
    )
    _link_mentions(crisis, channel=ChannelFactory(brand=crisis.brand), started=started,
                   answered_after_minutes=[5, 15], unanswered=8)
    director.language = "en"
    director.save(update_fields=["language"])
    client.force_login(director)

    # When Elena opens the report
    response = client.get(reverse("playbooks:crisis_report", args=[crisis.pk]))

    # Then she reads the unanswered count, the decisions, who approved and the lessons
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="first-unanswered"><strong>8</strong> (80 %)' in html
    assert 'data-testid="first-all-p50">not reached' in html
    assert "10 min" in html and "(2 replies)" in html
    assert "Level changed from 2 to 3 by" in html
    assert f"Approved by <bdi>{director.display_name}</bdi>" in html
    assert "Avisar antes a Técnica" in html and "Nadie tenía el teléfono de guardia" in html
    assert 'data-testid="chart-volume"' in html and 'data-testid="chart-sentiment"' in html


def test_the_charts_draw_the_minute_rollups_of_the_crisis_window(community_manager, director, technical_playbook):
    # Given the rollups count 30 mentions (20 negative) during the crisis and 500 a day before it
    started = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=3)
    crisis = _resolved_crisis(community_manager, started=started)
    channel = ChannelFactory(brand=crisis.brand)
    MentionMinuteStat.objects.create(minute=started + timedelta(minutes=10), brand=crisis.brand, channel=channel,
                                     volume=30, negative=20, positive=2)
    MentionMinuteStat.objects.create(minute=started - timedelta(days=1), brand=crisis.brand, channel=channel,
                                     volume=500, negative=0)

    # Then the report's volume and sentiment are those of the window only
    report = crisis_report(crisis_id=crisis.pk, user=director)
    assert report.volume == 30
    assert report.sentiment_share == {"negative": 0.667, "neutral": 0.267, "positive": 0.067}
    assert sum(point.negative for point in report.points) == 20


@pytest.mark.parametrize("url_name", ["playbooks:crisis_report", "playbooks:crisis_report_pdf"])
def test_a_department_head_is_refused_the_report(client, community_manager, department_head, technical_playbook,
                                                 url_name):
    crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    client.force_login(department_head)
    assert client.get(reverse(url_name, args=[crisis.pk])).status_code == 403


def test_the_crisis_team_reads_the_report_and_an_unknown_crisis_is_not_found(client, community_manager,
                                                                               technical_playbook):
    crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    client.force_login(community_manager)
    assert client.get(reverse("playbooks:crisis_report", args=[crisis.pk])).status_code == 200
    assert client.get(reverse("playbooks:crisis_report", args=[crisis.pk + 1000])).status_code == 404
    client.force_login(UserFactory(username="anonimo-sin-rol", role="department_head"))
    assert client.get(reverse("playbooks:crisis_report", args=[crisis.pk])).status_code == 403
