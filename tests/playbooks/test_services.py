"""Crises: declaring runs the playbook; statements wait for approval; directors get summaries on time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from crisisdesk.models import AuditEvent
from inbox.models import ScheduledPostStatus
from playbooks import services
from playbooks.models import Crisis, CrisisEvent, CrisisStatus, Playbook, StatementStatus
from tests.factories import MentionFactory, UserFactory
from tests.playbooks.conftest import technical_content
from tests.realtime import GroupListener

pytestmark = pytest.mark.django_db


def _declare(actor, **kwargs):
    return services.crisis_declare(
        actor=actor, crisis_type="technical", level=2, title="Caída en Madrid", **kwargs
    )


def test_declaring_starts_the_playbook_notifies_and_freezes_posts(
    community_manager,
    other_community_manager,
    director,
    technical_playbook,
    scheduled_post,
    django_capture_on_commit_callbacks,
):
    # Given a technical level-2 playbook that names Elena and Luis, and a cheerful post scheduled soon
    mention = MentionFactory()
    now = timezone.now()

    # When Ana declares a crisis
    with django_capture_on_commit_callbacks(execute=True):
        crisis = _declare(community_manager, mention_ids=[mention.pk], now=now)

    # Then the crisis runs the playbook's current version, snapshotted
    crisis.refresh_from_db()
    assert crisis.status == CrisisStatus.DECLARED
    assert crisis.playbook_version.number == 1
    assert crisis.playbook_content["title"] == "Caída de red"
    # with its checklist and deadlines counted from the declaration
    steps = list(crisis.checklist.order_by("position"))
    assert [step.text for step in steps] == [
        "Confirmar el alcance con Técnica",
        "Publicar el mensaje de espera",
        "Decidir la compensación",
    ]
    assert steps[1].due_at == now + timedelta(minutes=10)
    assert list(crisis.mentions.values_list("pk", flat=True)) == [mention.pk]
    # the people it names get an email, once
    assert sorted(message.to[0] for message in mail.outbox) == ["elena@telco.example", "luis@telco.example"]
    assert crisis.notified_at is not None
    assert services.crisis_notify(crisis_id=crisis.pk) == 0
    assert len(mail.outbox) == 2
    # every scheduled post is frozen, and it is on the timeline and in the audit trail
    scheduled_post.refresh_from_db()
    assert scheduled_post.status == ScheduledPostStatus.FROZEN
    assert set(CrisisEvent.objects.filter(crisis=crisis).values_list("kind", flat=True)) >= {
        "declared",
        "posts",
    }
    assert AuditEvent.objects.filter(verb="crisis.declare", target_id=str(crisis.pk)).exists()


def test_the_playbook_snapshot_does_not_change_when_the_playbook_is_edited(
    community_manager, admin_user, technical_playbook
):
    crisis = _declare(community_manager)
    services.playbook_version_create(
        playbook_id=technical_playbook.pk, content=technical_content(title="Otra cosa"), actor=admin_user
    )
    crisis.refresh_from_db()
    assert crisis.playbook_content["title"] == "Caída de red"
    assert crisis.playbook_version.number == 1


def test_declaring_pushes_the_banner_to_everyone_after_commit(
    community_manager, technical_playbook, django_capture_on_commit_callbacks
):
    with GroupListener("everyone") as everyone:
        with django_capture_on_commit_callbacks(execute=True):
            crisis = _declare(community_manager)
        message = everyone.receive()
    assert message["event"]["type"] == "crisis.changed"
    assert message["event"]["id"] == crisis.pk
    assert message["event"]["change"] == "declared"


def test_declaring_creates_escalation_requests_for_the_departments_the_playbook_names(
    community_manager, department, other_department, django_capture_on_commit_callbacks
):
    # Given a playbook that informs Técnica and Jurídico
    playbook = Playbook.objects.create(crisis_type="technical", level=3, name="Grave")
    services.playbook_version_create(
        playbook_id=playbook.pk, content=technical_content(departments=["tecnica", "juridico"]), actor=None
    )
    # When a severe technical crisis is declared
    with django_capture_on_commit_callbacks(execute=True):
        crisis = services.crisis_declare(
            actor=community_manager, crisis_type="technical", level=3, title="Apagón"
        )
    # Then each department has a request linked to the crisis
    from escalation.models import EscalationRequest

    requests = EscalationRequest.objects.filter(crisis=crisis)
    assert sorted(requests.values_list("department__slug", flat=True)) == ["juridico", "tecnica"]
    assert CrisisEvent.objects.filter(crisis=crisis, kind="escalation").count() == 2


def test_a_department_head_cannot_declare(department_head, technical_playbook):
    with pytest.raises(services.CrisisError):
        _declare(department_head)
    assert Crisis.objects.count() == 0


def test_bad_level_is_refused_without_writing(community_manager, technical_playbook):
    with pytest.raises(services.CrisisError):
        services.crisis_declare(actor=community_manager, crisis_type="technical", level=7)
    assert Crisis.objects.count() == 0


def test_resolving_keeps_posts_frozen_and_removes_the_banner(
    community_manager, technical_playbook, scheduled_post
):
    from playbooks.selectors import crisis_banner

    crisis = _declare(community_manager)
    assert crisis_banner() == crisis
    services.crisis_resolve(crisis_id=crisis.pk, actor=community_manager)
    assert crisis_banner() is None
    scheduled_post.refresh_from_db()
    assert scheduled_post.status == ScheduledPostStatus.FROZEN


def test_level_changes_are_on_the_timeline(community_manager, technical_playbook):
    crisis = _declare(community_manager)
    services.crisis_level_change(crisis_id=crisis.pk, level=3, actor=community_manager)
    crisis.refresh_from_db()
    assert crisis.level == 3
    assert CrisisEvent.objects.filter(crisis=crisis, kind="level", data__to=3).exists()


def test_ticking_a_checklist_step_is_recorded(community_manager, technical_playbook):
    crisis = _declare(community_manager)
    step = crisis.checklist.first()
    services.checklist_item_set(crisis_id=crisis.pk, item_id=step.pk, done=True, actor=community_manager)
    services.checklist_item_set(crisis_id=crisis.pk, item_id=step.pk, done=True, actor=community_manager)
    step.refresh_from_db()
    assert step.done_by == community_manager
    assert CrisisEvent.objects.filter(crisis=crisis, kind="checklist").count() == 1


# Statements -----------------------------------------------------------------------------------


def test_with_any_approver_one_approval_is_enough(
    community_manager, director, technical_playbook, django_capture_on_commit_callbacks
):
    other_director = UserFactory(role="director", username="carlos")
    crisis = _declare(community_manager)
    with GroupListener(f"user.{director.pk}") as directors_socket:
        with django_capture_on_commit_callbacks(execute=True):
            statement = services.statement_submit(
                crisis_id=crisis.pk, author=community_manager, body="Sabemos lo que pasa"
            )
        pushed = directors_socket.receive()
    # The approvers see it live
    assert pushed["event"]["type"] == "statement.pending"
    assert set(statement.approvers.all()) == {director, other_director}
    assert statement.status == StatementStatus.PENDING
    statement = services.statement_decide(
        crisis_id=crisis.pk, statement_id=statement.pk, approver=director, approve=True
    )
    assert statement.status == StatementStatus.APPROVED


def test_with_all_approvers_every_one_must_approve_and_one_can_send_it_back(
    community_manager, director, admin_user, technical_playbook
):
    Playbook.objects.filter(pk=technical_playbook.pk).delete()
    playbook = Playbook.objects.create(crisis_type="technical", level=2, name="Todos")
    services.playbook_version_create(
        playbook_id=playbook.pk,
        content=technical_content(approvers=["elena", "root"], approval="all"),
        actor=None,
    )
    crisis = _declare(community_manager)
    statement = services.statement_submit(crisis_id=crisis.pk, author=community_manager, body="Comunicado")
    statement = services.statement_decide(
        crisis_id=crisis.pk, statement_id=statement.pk, approver=director, approve=True
    )
    assert statement.status == StatementStatus.PENDING
    statement = services.statement_decide(
        crisis_id=crisis.pk, statement_id=statement.pk, approver=admin_user, approve=True
    )
    assert statement.status == StatementStatus.APPROVED

    second = services.statement_submit(crisis_id=crisis.pk, author=community_manager, body="Otro")
    with pytest.raises(services.CrisisError):
        services.statement_decide(
            crisis_id=crisis.pk, statement_id=second.pk, approver=director, approve=False, comment=""
        )
    second = services.statement_decide(
        crisis_id=crisis.pk,
        statement_id=second.pk,
        approver=director,
        approve=False,
        comment="Falta la hora de la próxima actualización",
    )
    assert second.status == StatementStatus.RETURNED
    with pytest.raises(services.CrisisError):
        services.statement_decide(crisis_id=crisis.pk, statement_id=second.pk, approver=admin_user, approve=True)


def test_someone_who_is_not_an_approver_cannot_approve(
    community_manager, other_community_manager, director, technical_playbook
):
    crisis = _declare(community_manager)
    statement = services.statement_submit(crisis_id=crisis.pk, author=community_manager, body="Comunicado")
    with pytest.raises(services.CrisisError):
        services.statement_decide(
            crisis_id=crisis.pk, statement_id=statement.pk, approver=other_community_manager, approve=True
        )


# Executive summaries ---------------------------------------------------------------------------


def test_executive_summaries_follow_the_level_cadence_and_are_safe_to_run_twice(
    community_manager, director, technical_playbook
):
    start = timezone.now()
    crisis = _declare(community_manager, now=start)
    mail.outbox.clear()

    # Level 2: nothing after an hour, one summary after four, not twice
    assert services.crisis_summaries_send(now=start + timedelta(hours=1)) == []
    assert services.crisis_summaries_send(now=start + timedelta(hours=4, minutes=1)) == [crisis.pk]
    assert services.crisis_summaries_send(now=start + timedelta(hours=4, minutes=2)) == []

    # Level 3: hourly from the last summary
    services.crisis_level_change(crisis_id=crisis.pk, level=3, actor=community_manager)
    assert services.crisis_summaries_send(now=start + timedelta(hours=4, minutes=30)) == []
    assert services.crisis_summaries_send(now=start + timedelta(hours=5, minutes=2)) == [crisis.pk]
    crisis.refresh_from_db()
    assert crisis.last_summary_at == start + timedelta(hours=5, minutes=2)


def test_executive_summary_is_emailed_to_directors(
    community_manager, director, technical_playbook, django_capture_on_commit_callbacks
):
    start = timezone.now()
    _declare(community_manager, now=start)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.crisis_summaries_send(now=start + timedelta(hours=5))
    assert [message.to for message in mail.outbox] == [["elena@telco.example"]]
    assert "Caída en Madrid" in mail.outbox[0].body


# Review and revisions --------------------------------------------------------------------------


def test_a_review_case_becomes_a_revision_that_an_admin_accepts_as_a_new_version(
    community_manager, admin_user, technical_playbook
):
    # Given a resolved crisis
    crisis = _declare(community_manager)
    services.crisis_resolve(crisis_id=crisis.pk, actor=community_manager)

    # When the review records a case the playbook did not foresee
    revision = services.playbook_revision_propose(
        crisis_id=crisis.pk,
        actor=community_manager,
        case="Un medio publicó la caída antes que nosotros",
        step_text="Avisar a Comunicación en cuanto un medio pregunte",
        role="community_manager",
        minutes=5,
    )
    _, _, diff = services.revision_preview(revision)
    assert "+5 | community_manager | Avisar a Comunicación en cuanto un medio pregunte" in diff

    # Then only an admin can accept it
    with pytest.raises(services.CrisisError):
        services.playbook_revision_accept(revision_id=revision.pk, actor=community_manager)
    version = services.playbook_revision_accept(revision_id=revision.pk, actor=admin_user)

    # and it becomes version 2, with the new step, while the crisis still points at version 1
    assert version.number == 2
    assert version.content["steps"][-1]["text"] == "Avisar a Comunicación en cuanto un medio pregunte"
    revision.refresh_from_db()
    assert revision.resulting_version == version
    crisis.refresh_from_db()
    assert crisis.playbook_version.number == 1
    from playbooks.selectors import playbook_history

    history = playbook_history(playbook=technical_playbook)
    assert history[0]["version"] == version
    assert any(line.startswith("+5 | community_manager") for line in history[0]["diff"])
    with pytest.raises(services.CrisisError):
        services.playbook_revision_accept(revision_id=revision.pk, actor=admin_user)


def test_playbook_content_is_validated(admin_user, technical_playbook):
    with pytest.raises(services.CrisisError):
        services.playbook_version_create(
            playbook_id=technical_playbook.pk,
            content=technical_content(departments=["nowhere"]),
            actor=admin_user,
        )
    with pytest.raises(services.CrisisError):
        services.playbook_version_create(
            playbook_id=technical_playbook.pk,
            content=technical_content(steps=[{"text": "x", "role": "pirate"}]),
            actor=admin_user,
        )
    assert technical_playbook.versions.count() == 1


def test_demo_seed_creates_nine_playbooks_once(db, department):
    from escalation.models import Department
    from playbooks import demo

    for slug in ("comercial", "juridico", "atencion-cliente", "comunicacion", "direccion-general"):
        Department.objects.get_or_create(slug=slug, defaults={"name": slug})
    demo.seed()
    demo.seed()
    assert Playbook.objects.count() == 9
    assert all(playbook.versions.count() == 1 for playbook in Playbook.objects.all())
    institutional = Playbook.objects.get(crisis_type="institutional", level=3).versions.get().content
    assert any("#FelizNoche" in principle for principle in institutional["principles"])
    assert "{hora_siguiente_actualizacion}" in institutional["holding_statement"]


def test_declaring_level_changes_and_resolving_are_announced_to_outgoing_webhooks(
    community_manager, admin_user, technical_playbook
):
    from integrations.models import WebhookDelivery
    from integrations.services import webhook_endpoint_create

    webhook_endpoint_create(
        actor=admin_user,
        url="https://93.184.216.34/hook",
        events=["crisis.declared", "crisis.level_changed", "crisis.resolved"],
    )
    crisis = _declare(community_manager)
    services.crisis_level_change(crisis_id=crisis.pk, level=3, actor=community_manager)
    services.crisis_resolve(crisis_id=crisis.pk, actor=community_manager)
    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    assert [delivery.event_type for delivery in deliveries] == [
        "crisis.declared",
        "crisis.level_changed",
        "crisis.resolved",
    ]
    assert deliveries[0].payload["data"]["crisis"]["title"] == "Caída en Madrid"
    assert deliveries[1].payload["data"]["previous_level"] == 2
