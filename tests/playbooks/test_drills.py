"""Drills: a stored crisis replayed faster on a drill channel, its requests delivered for real and tagged,
its departments scored, and its findings proposed as a playbook revision."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from escalation import services as escalation_services
from escalation.models import EscalationPolicy, EscalationRequest, EscalationStep, RequestStatus, StepKind
from escalation.responsiveness import department_responsiveness
from inbox import services as inbox_services
from inbox.connectors.base import NormalizedAuthor, NormalizedMention
from inbox.credentials import credentials_encrypt
from inbox.models import Mention, Reply, ReplyState
from playbooks import dashboard, services
from playbooks.alert_messages import alert_message
from playbooks.drill_scores import drill_findings, drill_scores
from playbooks.models import Alert, Crisis, CrisisNotification, Drill, DrillStatus, PlaybookRevision
from playbooks.notifications import crisis_notifications_record
from tests import factories
from tests.inbox.fake_platform import fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

START = timezone.now().replace(microsecond=0)
ARCHIVE = START - timedelta(days=7)  # the stored day being replayed: 9 mentions, one every 30 minutes
COMPRESSION = 12.0  # 4 hours in 20 minutes


@pytest.fixture
def archive(fake_platform):
    """Telco's Facebook page a week ago, its base URL the fake platform, plus noise the drill must not copy."""
    page = factories.ChannelFactory(
        kind="facebook", name="Telco Facebook", brand="Telco", base_url=fake_platform.url,
        credentials_encrypted=credentials_encrypt({"access_token": "page-token"}),
    )
    stored = [
        factories.MentionFactory(
            channel=page, external_id=f"c_{index}", text=f"Sin fibra en Madrid, hora {index}",
            posted_at=ARCHIVE + timedelta(minutes=30 * index), received_at=ARCHIVE + timedelta(minutes=30 * index),
        )
        for index in range(9)
    ]
    factories.MentionFactory(channel=page, posted_at=ARCHIVE + timedelta(hours=5))  # after the window
    other = factories.ChannelFactory(name="Other brand", brand="Otra")
    factories.MentionFactory(channel=other, posted_at=ARCHIVE + timedelta(hours=1))  # another brand
    return stored


def start_drill(director, *, now=START, playbook=None) -> Drill:
    return services.drill_start(
        actor=director, compression=COMPRESSION, brand="Telco", window_start=ARCHIVE,
        window_end=ARCHIVE + timedelta(hours=4), playbook_id=playbook.pk if playbook else None, now=now,
    )


def replayed(drill: Drill) -> list[Mention]:
    return list(Mention.objects.filter(channel=drill.channel).order_by("posted_at", "pk"))


def test_a_stored_day_replays_compressed_in_order_and_once_when_fed_twice(archive, director):
    drill = start_drill(director)
    assert drill.total == 9 and drill.ends_at == START + timedelta(minutes=20)

    assert services.drill_feed(drill_id=drill.pk, now=START + timedelta(minutes=10)) == 5  # 2 archived hours
    assert services.drill_feed(drill_id=drill.pk, now=START + timedelta(minutes=10)) == 0
    Drill.objects.filter(pk=drill.pk).update(fed_until=None, fed_last_id=0)  # a cursor lost with a crash
    assert services.drill_feed(drill_id=drill.pk, now=START + timedelta(minutes=10)) == 0

    services.drills_advance(now=START + timedelta(minutes=25))  # time is up: the rest, then the end
    copies = replayed(Drill.objects.get(pk=drill.pk))
    assert [copy.text for copy in copies] == [source.text for source in archive]
    assert [copy.posted_at - START for copy in copies] == [timedelta(seconds=150 * index) for index in range(9)]
    assert {copy.external_id for copy in copies} == {f"drill-{drill.pk}-{source.pk}" for source in archive}
    assert all(copy.channel.kind == "drill" and copy.channel.brand.startswith("DRILL-") for copy in copies)
    drill.refresh_from_db()
    assert drill.status == DrillStatus.ENDED and drill.replayed == 9
    assert services.drills_advance(now=START + timedelta(minutes=30)) == 0  # an ended drill is fed no more


def test_replies_and_hiding_on_a_drill_mention_reach_no_network(
    archive, director, community_manager, fake_platform, django_capture_on_commit_callbacks
):
    drill = start_drill(director)
    services.drill_feed(drill_id=drill.pk, now=START + timedelta(minutes=5))
    copy = replayed(drill)[0]

    with django_capture_on_commit_callbacks(execute=True):
        reply = inbox_services.reply_queue(
            mention_id=copy.pk, author=community_manager, body="Lo estamos revisando", undo_window=False
        )
    with django_capture_on_commit_callbacks(execute=True):
        inbox_services.mention_hide(mention_id=copy.pk, actor=community_manager, reason="Ensayo")

    assert fake_platform.requests == []  # not a reply, not a hide, not a token check: nothing arrived
    reply = Reply.objects.get(pk=reply.pk)
    assert reply.state == ReplyState.SENT and reply.external_id.startswith("drill-reply-")
    assert not Reply.objects.filter(mention__channel__kind="facebook").exists()


def drill_request(department, mention, *, raised_by, now) -> EscalationRequest:
    return escalation_services.escalation_request_create(
        raised_by=raised_by, department=department, question="¿Cuándo vuelve el servicio?",
        mention_ids=[mention.pk], now=now,
    )


def test_a_drill_escalation_is_tagged_in_each_heads_language(
    archive, director, community_manager, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    legal = factories.DepartmentFactory(slug="juridico", name="Jurídico")
    legal.heads.add(
        factories.UserFactory(role="department_head", username="paz", email="paz@telco.example", language="es"),
        factories.UserFactory(role="department_head", username="ian", email="ian@telco.example", language="en"),
    )
    policy = EscalationPolicy.objects.create(name="Jurídico", department=legal, is_default=True)
    EscalationStep.objects.create(policy=policy, order=0, kind=StepKind.NOTIFY_HEADS, wait_seconds=900)
    drill = start_drill(director)
    services.drill_feed(drill_id=drill.pk, now=START + timedelta(minutes=5))
    real = Mention.objects.get(pk=archive[0].pk)

    def delivered(mention):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            request = drill_request(legal, mention, raised_by=community_manager, now=timezone.now())
        return request, {message.to[0]: message for message in mail.outbox}

    tagged, drill_mail = delivered(replayed(drill)[0])
    untagged, real_mail = delivered(real)

    assert tagged.is_drill and not untagged.is_drill
    assert drill_mail["ian@telco.example"].subject.startswith("[DRILL] [Crisis Desk] Jurídico, question #")
    assert "This is a drill" in drill_mail["ian@telco.example"].body
    assert not any("DRILL" in message.subject or "SIMULACRO" in message.subject for message in real_mail.values())
    assert drill_mail["paz@telco.example"].subject.startswith("[SIMULACRO] [Crisis Desk] Jurídico")


def department_with_head(slug: str, name: str):
    department = factories.DepartmentFactory(slug=slug, name=name)
    head = factories.UserFactory(role="department_head", username=f"head-{slug}")
    department.heads.add(head)
    policy = EscalationPolicy.objects.create(
        name=name, department=department, is_default=True, answer_within_seconds=3600
    )
    EscalationStep.objects.create(policy=policy, order=0, kind=StepKind.NOTIFY_HEADS, wait_seconds=900)
    return department, head


@pytest.fixture
def scored_drill(archive, director, community_manager, technical_playbook, settings):
    """Técnica answers in 4 minutes, Jurídico acknowledges after 46 and never answers, Comunicación is silent."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now()
    drill = start_drill(director, now=now - timedelta(minutes=5), playbook=technical_playbook)
    services.drill_feed(drill_id=drill.pk, now=now)
    mention = replayed(drill)[0]
    technical, technical_head = department_with_head("tecnica", "Técnica")
    legal, legal_head = department_with_head("juridico", "Jurídico")
    press, _press_head = department_with_head("comunicacion", "Comunicación")
    asked = now + timedelta(minutes=1)
    requests = {
        department.slug: drill_request(department, mention, raised_by=community_manager, now=asked)
        for department in (technical, legal, press)
    }
    escalation_services.escalation_answer_create(
        request_id=requests["tecnica"].pk, author=technical_head, text="Vuelve a las 14:00",
        now=asked + timedelta(minutes=4),
    )
    escalation_services.escalation_request_acknowledge(
        request_id=requests["juridico"].pk, actor=legal_head, promised_at=asked + timedelta(minutes=90),
        now=asked + timedelta(minutes=46),
    )
    ended = services.drill_end(drill_id=drill.pk, actor=director, now=asked + timedelta(minutes=70))
    return ended, requests


def test_each_department_is_scored_on_acknowledging_and_answering(scored_drill, director):
    drill, requests = scored_drill
    scores = {score.department: score for score in drill_scores(drill, now=timezone.now())}

    technical, legal, press = scores["Técnica"], scores["Jurídico"], scores["Comunicación"]
    assert (technical.acknowledge_median_seconds, technical.answer_worst_seconds) == (240, 240)
    assert (technical.acknowledge_misses, technical.answer_misses) == (0, 0)
    assert not technical.acknowledged_late and not technical.answered_late
    assert legal.acknowledge_worst_seconds == 46 * 60 and legal.allowed_acknowledge_seconds == 900
    assert legal.acknowledged_late and (legal.acknowledge_misses, legal.answer_misses) == (0, 1)
    assert (press.acknowledged, press.acknowledge_misses, press.answer_misses) == (0, 1, 1)
    assert "Jurídico took 46 min to acknowledge; the playbook allows 15." in drill_findings(list(scores.values()))
    # Ended: nobody is paged any more, and the real figures never counted the drill.
    assert set(EscalationRequest.objects.values_list("status", flat=True)) == {RequestStatus.CLOSED}
    assert all(row.requests == 0 for row in department_responsiveness(user=director, days=30))


def test_the_real_dashboard_leaves_the_drill_out(archive, director, community_manager):
    now = timezone.now()
    drill = start_drill(director, now=now - timedelta(minutes=10))
    assert services.drill_feed(drill_id=drill.pk, now=now) == 5
    real = factories.ChannelFactory(name="Telco X", kind="x", brand="Telco")
    inbox_services.mentions_ingest(
        channel=real, now=now,
        mentions=[NormalizedMention(external_id="x-1", text="Sin cobertura", posted_at=now,
                                    author=NormalizedAuthor(external_id="u1", handle="lucia"))],
    )
    drill_request(factories.DepartmentFactory(slug="tecnica"), replayed(drill)[0], raised_by=community_manager, now=now)

    figures = dashboard.dashboard_figures(now=now + timedelta(minutes=1))

    assert figures.volume == 1 and [row["channel"] for row in figures.channels] == ["Telco X"]
    assert figures.unanswered == Mention.objects.exclude(channel__kind="drill").filter(status="new").count()
    assert figures.escalations == []
    assert [level["brand"] for level in figures.levels] == ["Otra", "Telco"]
    assert [item["id"] for item in figures.drills] == [drill.pk]


def test_the_results_page_proposes_a_revision_with_the_findings(scored_drill, client, director, department_head):
    drill, _requests = scored_drill
    client.force_login(director)
    page = client.get(reverse("playbooks:drill_detail", args=[drill.pk]))
    assert page.status_code == 200
    form = page.context["form"]
    assert "Jurídico took 46 min to acknowledge; the playbook allows 15." in form.initial["case"]

    response = client.post(
        reverse("playbooks:drill_revision", args=[drill.pk]),
        {**form.initial, "role": "community_manager"},
    )

    assert response.status_code == 302
    revision = PlaybookRevision.objects.get(drill=drill)
    assert revision.playbook == drill.playbook and "Jurídico took 46 min" in revision.case
    assert revision.change["add_step"]["minutes"] == 15
    client.force_login(department_head)
    assert client.get(reverse("playbooks:drill_detail", args=[drill.pk])).status_code == 403
    assert client.get(reverse("playbooks:drill_list")).status_code == 403


def test_the_next_drill_of_the_playbook_is_compared_with_the_last(scored_drill, client, director):
    drill, _requests = scored_drill
    second = start_drill(director, now=timezone.now(), playbook=drill.playbook)
    client.force_login(director)

    page = client.get(reverse("playbooks:drill_detail", args=[second.pk]))

    assert page.context["previous"] == drill
    assert {row.department for row in page.context["comparison"]} == {"Técnica", "Jurídico", "Comunicación"}


def test_a_drills_alert_and_its_crisis_notices_reach_people_tagged_as_a_drill(director):
    """The drill's spike alert and its declared crisis go to the real people, and each says it is a drill."""

    brand = "DRILL-7 Telco"
    alert = Alert.objects.create(
        brand=brand, signal="volume", severity=8, observed=30, baseline_mean=3, baseline_std=1, threshold=8,
        suggested_level=2, suggested_type="technical", started_at=START, last_seen_at=START,
    )
    real = Alert.objects.create(
        brand="Telco", signal="volume", severity=8, observed=30, baseline_mean=3, baseline_std=1, threshold=8,
        suggested_level=2, suggested_type="technical", started_at=START, last_seen_at=START,
    )
    with translation.override("en"):
        assert alert_message(alert=alert, step=0, link="https://desk/a").subject.startswith("[DRILL] ")
        assert "[DRILL]" not in alert_message(alert=real, step=0, link="https://desk/a").subject
        crisis = Crisis.objects.create(title="Caída", brand=brand, crisis_type="technical", level=2)
        crisis_notifications_record(
            crisis=crisis, kind="declared", recipients=[director], subject="Crisis declared: Caída", body="Level 2"
        )
    notice = CrisisNotification.objects.get(crisis=crisis)
    assert notice.subject == "[DRILL] Crisis declared: Caída"
    assert notice.body.startswith("This is a drill")
