"""Incident roles: the declarer leads, the crisis team names the spokesperson, scribe and approvers, steps
for a role go to whoever holds it, and a raised level brings its own playbook's steps (once)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from crisisdesk.audit import AuditEvent
from crisisdesk.text import user_display_name
from playbooks import services
from playbooks.models import ChecklistItem, CrisisEvent, CrisisRole
from tests import factories
from tests.playbooks.crisis_command import outage_declared, outage_playbooks
from tests.realtime import GroupListener

pytestmark = pytest.mark.django_db


@pytest.fixture
def outage(community_manager):
    outage_playbooks()
    return outage_declared(community_manager)


@pytest.fixture
def outsider(db):
    """A community manager on the console who is not on this crisis's team."""
    return factories.UserFactory(role="community_manager", username="pablo", first_name="Pablo")


def _step(crisis, role: str) -> ChecklistItem:
    return ChecklistItem.objects.get(crisis=crisis, responsible_role=role)


def test_the_declarer_leads_the_crisis_and_gets_the_leads_steps(outage, community_manager):
    # Then Ana, who declared, is the crisis lead, on the timeline, and holds the lead's step
    assert list(CrisisRole.objects.filter(crisis=outage).values_list("role", "user_id")) == [
        ("lead", community_manager.pk)
    ]
    entry = CrisisEvent.objects.get(crisis=outage, message_key="role.declarer_leads")
    assert entry.params["role"] == "lead" and entry.params["person"] == user_display_name(community_manager)
    assert _step(outage, "lead").assignee == community_manager
    assert _step(outage, "spokesperson").assignee is None


def test_the_lead_names_a_spokesperson_who_takes_the_spokespersons_steps(
    outage, community_manager, other_community_manager, django_capture_on_commit_callbacks
):
    # When Ana names Luis spokesperson, with a console open on the crisis room
    with GroupListener("role.community_manager") as console:
        with django_capture_on_commit_callbacks(execute=True):
            services.crisis_role_assign(
                crisis_id=outage.pk, role="spokesperson", user_id=other_community_manager.pk, actor=community_manager
            )
        parts = {console.receive()["event"]["part"] for _ in range(3)}

    # Then he holds the role and its step, the timeline and the audit trail say so, rooms reload both parts
    assert CrisisRole.objects.get(crisis=outage, role="spokesperson").user == other_community_manager
    assert _step(outage, "spokesperson").assignee == other_community_manager
    assert CrisisEvent.objects.filter(crisis=outage, message_key="role.assigned", params__role="spokesperson").exists()
    assert AuditEvent.objects.filter(verb="crisis.role_assign", data__role="spokesperson").exists()
    assert {"roles", "checklist"} <= parts

    # And naming him again changes nothing
    services.crisis_role_assign(
        crisis_id=outage.pk, role="spokesperson", user_id=other_community_manager.pk, actor=community_manager
    )
    assert (
        CrisisEvent.objects.filter(crisis=outage, message_key="role.assigned", params__role="spokesperson").count() == 1
    )


def test_a_new_spokesperson_replaces_the_old_but_not_on_a_step_given_by_hand(
    outage, community_manager, other_community_manager, director
):
    services.crisis_role_assign(
        crisis_id=outage.pk, role="spokesperson", user_id=other_community_manager.pk, actor=community_manager
    )
    scribe_step = _step(outage, "scribe")
    # Given the scribe's step was given to Luis by hand
    services.checklist_item_assign(
        crisis_id=outage.pk, item_id=scribe_step.pk, actor=community_manager, assignee_id=other_community_manager.pk
    )

    # When Elena becomes spokesperson instead of Luis, and Ana the scribe
    services.crisis_role_assign(crisis_id=outage.pk, role="spokesperson", user_id=director.pk, actor=community_manager)
    services.crisis_role_assign(
        crisis_id=outage.pk, role="scribe", user_id=community_manager.pk, actor=community_manager
    )

    # Then one spokesperson, Elena, with the step; Luis keeps the scribe's step he was given by hand
    assert list(CrisisRole.objects.filter(crisis=outage, role="spokesperson").values_list("user_id", flat=True)) == [
        director.pk
    ]
    assert _step(outage, "spokesperson").assignee == director
    assert _step(outage, "scribe").assignee == other_community_manager
    assert CrisisEvent.objects.filter(
        crisis=outage, message_key="role.unassigned", params__role="spokesperson"
    ).exists()


def test_approvers_are_several_and_one_can_be_taken_off(outage, community_manager, other_community_manager, director):
    for person in (other_community_manager, director):
        services.crisis_role_assign(crisis_id=outage.pk, role="approver", user_id=person.pk, actor=community_manager)
    assert CrisisRole.objects.filter(crisis=outage, role="approver").count() == 2

    assert services.crisis_role_unassign(
        crisis_id=outage.pk, role="approver", user_id=director.pk, actor=community_manager
    )
    assert not services.crisis_role_unassign(
        crisis_id=outage.pk, role="approver", user_id=director.pk, actor=community_manager
    )
    assert list(CrisisRole.objects.filter(crisis=outage, role="approver").values_list("user_id", flat=True)) == [
        other_community_manager.pk
    ]


def test_the_named_approvers_are_the_ones_a_statement_waits_for(
    outage, community_manager, other_community_manager, director
):
    services.crisis_role_assign(
        crisis_id=outage.pk, role="approver", user_id=other_community_manager.pk, actor=community_manager
    )
    services.crisis_role_assign(crisis_id=outage.pk, role="approver", user_id=community_manager.pk, actor=director)

    statement = services.statement_submit(crisis_id=outage.pk, author=community_manager, body="Estamos en ello.")

    # The author is never their own approver (four eyes); the playbook's directors are not asked.
    assert list(statement.approvers.values_list("pk", flat=True)) == [other_community_manager.pk]


def test_a_community_manager_outside_the_crisis_team_cannot_name_roles_or_assign_steps(
    client, outage, outsider, other_community_manager
):
    # When Pablo, a community manager who neither declared, owns nor holds a role in it, tries
    with pytest.raises(services.CrisisForbidden):
        services.crisis_role_assign(crisis_id=outage.pk, role="spokesperson", user_id=outsider.pk, actor=outsider)
    with pytest.raises(services.CrisisForbidden):
        services.checklist_item_assign(
            crisis_id=outage.pk, item_id=_step(outage, "scribe").pk, actor=outsider, assignee_id=outsider.pk
        )
    # Nor through the page or the API
    client.force_login(outsider)
    page = client.post(
        reverse("playbooks:crisis_role", args=[outage.pk, "assign"]), {"role": "scribe", "user": outsider.pk}
    )
    api = client.post(
        f"/api/crises/{outage.pk}/roles/", {"role": "scribe", "user_id": outsider.pk}, content_type="application/json"
    )

    # Then nothing changed and the room shows him the roles without the forms
    assert (page.status_code, api.status_code) == (403, 403)
    assert not CrisisRole.objects.filter(crisis=outage, user=outsider).exists()
    room = client.get(reverse("playbooks:crisis_room", args=[outage.pk])).content.decode()
    assert 'data-testid="roles"' in room and "role-form" not in room

    # But once the lead names him scribe, he is on the team
    services.crisis_role_assign(crisis_id=outage.pk, role="scribe", user_id=outsider.pk, actor=outage.declared_by)
    services.crisis_role_assign(
        crisis_id=outage.pk, role="approver", user_id=other_community_manager.pk, actor=outsider
    )


def test_a_department_head_sees_nothing_of_the_crisis_command(client, outage, department_head):
    client.force_login(department_head)
    assert client.get(reverse("playbooks:crisis_room", args=[outage.pk])).status_code == 403
    assert client.get(f"/api/crises/{outage.pk}/roles/").status_code == 403
    assert (
        client.post(
            reverse("playbooks:crisis_role", args=[outage.pk, "assign"]), {"role": "lead", "user": department_head.pk}
        ).status_code
        == 403
    )
    # and cannot be named either
    with pytest.raises(services.CrisisError):
        services.crisis_role_assign(
            crisis_id=outage.pk, role="scribe", user_id=department_head.pk, actor=outage.declared_by
        )


def test_the_api_names_roles_and_assigns_a_step_with_a_due_time(client, outage, community_manager, director):
    client.force_login(community_manager)
    named = client.post(
        f"/api/crises/{outage.pk}/roles/",
        {"role": "spokesperson", "user_id": director.pk},
        content_type="application/json",
    )
    assert named.status_code == 201
    assert {(row["role"], row["username"]) for row in named.json()} == {("lead", "ana"), ("spokesperson", "elena")}

    due = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    step = _step(outage, "scribe")
    assigned = client.patch(
        f"/api/crises/{outage.pk}/checklist/{step.pk}/",
        {"assignee_id": director.pk, "due_at": due.isoformat()},
        content_type="application/json",
    )
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["assignee"] == "elena" and assigned.json()["assigned_by_hand"] is True
    step.refresh_from_db()
    assert step.due_at == due

    removed = client.delete(f"/api/crises/{outage.pk}/roles/spokesperson/{director.pk}/")
    assert removed.status_code == 204
    detail = client.get(f"/api/crises/{outage.pk}/").json()
    assert [row["role"] for row in detail["roles"]] == ["lead"]


def test_raising_the_level_adds_that_levels_steps_once(outage, community_manager, other_community_manager):
    services.crisis_role_assign(
        crisis_id=outage.pk, role="spokesperson", user_id=other_community_manager.pk, actor=community_manager
    )
    raised_at = timezone.now() + timedelta(minutes=40)

    # When Ana raises the crisis to level 3
    services.crisis_level_change(crisis_id=outage.pk, level=3, actor=community_manager, now=raised_at)

    # Then the two level-3 steps it lacked are appended, due from the raise, the press one to the spokesperson
    texts = list(ChecklistItem.objects.filter(crisis=outage).order_by("position").values_list("text", flat=True))
    assert texts[3:] == ["Rueda de prensa con el portavoz", "Informar al consejo de administración"]
    press = ChecklistItem.objects.get(crisis=outage, text="Rueda de prensa con el portavoz")
    assert press.due_at == raised_at + timedelta(minutes=15) and press.position == 4
    assert press.assignee == other_community_manager
    entry = CrisisEvent.objects.get(crisis=outage, message_key="checklist.steps_added")
    assert entry.params == {"count": 2, "level": 3}

    # And lowering removes none, raising to 3 again adds nothing
    services.crisis_level_change(crisis_id=outage.pk, level=2, actor=community_manager)
    assert ChecklistItem.objects.filter(crisis=outage).count() == 5
    services.crisis_level_change(crisis_id=outage.pk, level=3, actor=community_manager)
    assert ChecklistItem.objects.filter(crisis=outage).count() == 5
    assert CrisisEvent.objects.filter(crisis=outage, message_key="checklist.steps_added").count() == 1


def test_the_new_timeline_entries_read_in_spanish_and_in_english(outage, community_manager, other_community_manager):
    services.crisis_role_assign(
        crisis_id=outage.pk, role="spokesperson", user_id=other_community_manager.pk, actor=community_manager
    )
    step = _step(outage, "scribe")
    due = timezone.make_aware(timezone.datetime(2030, 6, 1, 14, 30))
    services.checklist_item_assign(
        crisis_id=outage.pk,
        item_id=step.pk,
        actor=community_manager,
        assignee_id=other_community_manager.pk,
        due_at=due,
    )
    services.crisis_level_change(crisis_id=outage.pk, level=3, actor=community_manager)
    ana, luis = user_display_name(community_manager), user_display_name(other_community_manager)
    entries = {entry.message_key: entry for entry in CrisisEvent.objects.filter(crisis=outage)}

    with translation.override("en"):
        assert entries["role.declarer_leads"].text == f"{ana} leads the crisis, having declared it"
        assert entries["role.assigned"].text == f"{ana} named {luis} spokesperson"
        assert entries["checklist.assigned"].text == (
            f"Step assigned to {luis} by {ana}, due at 14:30: Abrir el acta de la crisis"
        )
        assert entries["checklist.steps_added"].text == "2 steps added for level 3"
    with translation.override("es"):
        assert entries["role.declarer_leads"].text == f"{ana} dirige la crisis por haberla declarado"
        assert entries["role.assigned"].text == f"{ana} nombró portavoz a {luis}"
        assert entries["checklist.assigned"].text == (
            f"Paso asignado a {luis} por {ana}, vence a las 14:30: Abrir el acta de la crisis"
        )
        assert entries["checklist.steps_added"].text == "2 pasos añadidos para el nivel 3"
