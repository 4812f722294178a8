"""Declaring a crisis is never one click: the team sees what it will do, names it, and links its mentions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from playbooks import services
from playbooks.models import Alert, Crisis
from tests.factories import ChannelFactory, MentionFactory

pytestmark = pytest.mark.django_db

DECLARATION = {"title": "Caída de fibra en Sevilla", "crisis_type": "technical", "level": "2"}


def _alert(**fields) -> Alert:
    now = timezone.now()
    values = {
        "brand": "Telco",
        "signal": "volume",
        "topic": "fibra",
        "severity": 7,
        "observed": 40,
        "baseline_mean": 2,
        "baseline_std": 1.4,
        "threshold": 10,
        "suggested_level": 2,
        "suggested_type": "technical",
        "explanation": {"sample_mentions": []},
        "started_at": now - timedelta(minutes=5),
        "last_seen_at": now,
    }
    values.update(fields)
    return Alert.objects.create(**values)


def test_the_first_post_shows_what_declaring_will_do_and_writes_nothing(client, community_manager, technical_playbook):
    client.force_login(community_manager)
    response = client.post(reverse("playbooks:crisis_declare"), DECLARATION)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="declare-confirm"' in page
    assert "Caída de fibra en Sevilla" in page
    assert technical_playbook.name in page
    assert Crisis.objects.count() == 0


def test_confirming_declares_and_lands_in_the_room_with_a_message(client, community_manager, technical_playbook):
    client.force_login(community_manager)
    response = client.post(reverse("playbooks:crisis_declare"), {**DECLARATION, "confirmed": "1"}, follow=True)
    crisis = Crisis.objects.get()
    assert response.redirect_chain[-1][0] == reverse("playbooks:crisis_room", args=[crisis.pk])
    assert crisis.title == "Caída de fibra en Sevilla"
    assert "Crisis declarada" in response.content.decode() or "Crisis declared" in response.content.decode()


@pytest.mark.parametrize("title", ["", "   "])
def test_a_crisis_without_a_title_is_refused(client, community_manager, technical_playbook, title):
    client.force_login(community_manager)
    response = client.post(reverse("playbooks:crisis_declare"), {**DECLARATION, "title": title, "confirmed": "1"})
    assert response.status_code == 400
    assert "title" in response.content.decode() or "título" in response.content.decode()
    assert Crisis.objects.count() == 0
    with pytest.raises(services.CrisisError):
        services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title=title)


def test_a_second_open_crisis_of_the_same_brand_and_type_needs_saying_it_is_another(
    client, community_manager, technical_playbook
):
    ChannelFactory(brand="Telco")
    first = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    client.force_login(community_manager)
    preview = client.post(reverse("playbooks:crisis_declare"), DECLARATION)
    assert 'data-testid="open-same"' in preview.content.decode()
    refused = client.post(reverse("playbooks:crisis_declare"), {**DECLARATION, "confirmed": "1"})
    assert refused.status_code == 400
    assert f"#{first.pk}" in refused.content.decode()
    assert Crisis.objects.count() == 1
    wanted = client.post(reverse("playbooks:crisis_declare"), {**DECLARATION, "confirmed": "1", "another_wanted": "on"})
    assert wanted.status_code == 302
    assert Crisis.objects.count() == 2


def test_a_different_type_or_a_resolved_crisis_does_not_block(community_manager, technical_playbook):
    first = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    services.crisis_declare(actor=community_manager, crisis_type="commercial", level=2, title="Precios")
    services.crisis_resolve(crisis_id=first.pk, actor=community_manager)
    services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Otra caída")
    assert Crisis.objects.filter(crisis_type="technical").count() == 2


def test_declaring_from_an_alert_links_the_outage_mentions_not_just_its_samples(
    client, community_manager, technical_playbook
):
    # Given an outage alert over 120 complaints (and some praise, and complaints from before the spike)
    channel = ChannelFactory(brand="Telco")
    complaints = MentionFactory.create_batch(120, channel=channel)
    MentionFactory.create_batch(5, channel=channel, sentiment="positive", category="praise")
    MentionFactory.create_batch(3, channel=channel, received_at=timezone.now() - timedelta(hours=3))
    alert = _alert(explanation={"sample_mentions": [{"id": complaints[0].pk, "text": complaints[0].text}]})
    client.force_login(community_manager)
    # When the community manager declares from it, the confirmation says how many mentions it links
    preview = client.post(reverse("playbooks:alert_declare", args=[alert.pk]), {"title": alert.suggested_title})
    assert preview.status_code == 200
    assert "120" in preview.content.decode()
    response = client.post(
        reverse("playbooks:alert_declare", args=[alert.pk]),
        {"title": alert.suggested_title, "confirmed": "1", "link_alert_mentions": "on"},
    )
    assert response.status_code == 302
    # Then the crisis carries the alert's suggestion and every complaint of the spike
    alert.refresh_from_db()
    crisis = alert.crisis
    assert (crisis.crisis_type, crisis.level) == ("technical", 2)
    assert set(crisis.mentions.values_list("pk", flat=True)) == {mention.pk for mention in complaints}
    again = client.post(reverse("playbooks:alert_declare", args=[alert.pk]), {"title": "Otra", "confirmed": "1"})
    assert again.status_code == 400
    assert Crisis.objects.count() == 1


def test_the_declarer_may_decline_linking_the_alert_mentions(client, community_manager, technical_playbook):
    MentionFactory.create_batch(4, channel=ChannelFactory(brand="Telco"))
    alert = _alert()
    client.force_login(community_manager)
    response = client.post(reverse("playbooks:alert_declare", args=[alert.pk]), {"title": "Fibra", "confirmed": "1"})
    assert response.status_code == 302
    assert Crisis.objects.get().mentions.count() == 0


def test_the_crisis_list_offers_the_open_alert_to_declare_from(client, community_manager, technical_playbook):
    alert = _alert()
    client.force_login(community_manager)
    page = client.get(reverse("playbooks:crisis_list")).content.decode()
    assert f'<option value="{alert.pk}"' in page


def test_the_api_requires_a_title_and_refuses_a_second_open_crisis_unless_asked(
    client, community_manager, technical_playbook
):
    client.force_login(community_manager)
    untitled = client.post(
        "/api/crises/declare/", {"crisis_type": "technical", "level": 2}, content_type="application/json"
    )
    assert untitled.status_code == 400
    assert "title" in untitled.json()
    body = {"crisis_type": "technical", "level": 2, "title": "Caída"}
    assert client.post("/api/crises/declare/", body, content_type="application/json").status_code == 201
    second = client.post("/api/crises/declare/", body, content_type="application/json")
    assert second.status_code == 400
    assert Crisis.objects.count() == 1
    wanted = client.post("/api/crises/declare/", {**body, "another_wanted": True}, content_type="application/json")
    assert wanted.status_code == 201


def test_the_confirmation_names_the_departments_as_people_call_them(client, community_manager):
    from escalation.models import Department
    from playbooks.models import Playbook
    from tests.playbooks.conftest import technical_content

    Department.objects.update_or_create(slug="juridico", defaults={"name": "Asesoría Jurídica"})
    playbook = Playbook.objects.create(crisis_type="technical", level=2, name="Caída")
    services.playbook_version_create(
        playbook_id=playbook.pk, content=technical_content(departments=["juridico"]), actor=None
    )
    client.force_login(community_manager)
    page = client.post(reverse("playbooks:crisis_declare"), DECLARATION).content.decode()
    consequences = page[page.index('data-testid="declare-consequences"') :]
    assert "Asesoría Jurídica" in consequences
    assert "juridico" not in consequences


def test_a_crisis_declared_from_a_cluster_links_its_mentions(client, community_manager, technical_playbook):
    from inbox.models import MentionCluster

    channel = ChannelFactory(brand="Telco")
    now = timezone.now()
    cluster = MentionCluster.objects.create(
        brand="Telco",
        channel=channel,
        signature=[1],
        bands=[1],
        representative_text="sin fibra",
        mention_count=30,
        first_seen_at=now,
        last_seen_at=now,
    )
    members = MentionFactory.create_batch(30, channel=channel, cluster=cluster)
    MentionFactory.create_batch(3, channel=channel)
    client.force_login(community_manager)
    preview = client.post(reverse("playbooks:crisis_declare"), {**DECLARATION, "cluster": cluster.pk})
    assert "30" in preview.content.decode() and 'name="cluster"' in preview.content.decode()
    response = client.post(
        reverse("playbooks:crisis_declare"), {**DECLARATION, "cluster": cluster.pk, "confirmed": "1"}
    )
    assert response.status_code == 302
    assert set(Crisis.objects.get().mentions.values_list("pk", flat=True)) == {mention.pk for mention in members}
