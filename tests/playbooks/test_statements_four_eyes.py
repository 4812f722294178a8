"""Statements: each approver's state is shown, four eyes are needed, and an approved statement is published
on the chosen channels (the composer's checks per channel) and offered to the composer as a template."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crisisdesk.realtime import group_for_role
from inbox.composer import reply_templates
from inbox.credentials import credentials_encrypt
from inbox.models import ScheduledPost, ScheduledPostStatus
from playbooks import services
from playbooks.models import CrisisEvent, Playbook, StatementStatus
from tests.factories import ChannelFactory, MentionFactory, UserFactory
from tests.inbox.fake_platform import Reply as PlatformReply
from tests.inbox.fake_platform import fake_platform_fixture  # noqa: F401
from tests.playbooks.conftest import technical_content
from tests.realtime import GroupListener

pytestmark = pytest.mark.django_db

STATEMENT = "Sabemos que no hay servicio en Madrid. Trabajamos en ello; próxima actualización a las 18:00."


@pytest.fixture
def crisis(community_manager, director):
    playbook = Playbook.objects.create(crisis_type="technical", level=2, name="Caída de red")
    services.playbook_version_create(playbook_id=playbook.pk, content=technical_content(), actor=None)
    return services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")


@pytest.fixture
def approved(crisis, community_manager, director):
    statement = services.statement_submit(crisis_id=crisis.pk, author=community_manager, body=STATEMENT)
    return services.statement_decide(crisis_id=crisis.pk, statement_id=statement.pk, approver=director, approve=True)


def test_each_approvers_state_is_shown_and_who_is_still_pending(community_manager, director, client):
    # Given a playbook where every approver must approve: Elena and Raúl
    UserFactory(role="director", username="raul", first_name="Raúl")
    playbook = Playbook.objects.create(crisis_type="technical", level=2, name="Caída de red")
    content = technical_content(approval="all", approvers=["elena", "raul"])
    services.playbook_version_create(playbook_id=playbook.pk, content=content, actor=None)
    crisis = services.crisis_declare(actor=community_manager, crisis_type="technical", level=2, title="Caída")
    statement = services.statement_submit(crisis_id=crisis.pk, author=community_manager, body=STATEMENT)

    # When Elena approves
    services.statement_decide(crisis_id=crisis.pk, statement_id=statement.pk, approver=director, approve=True)

    # Then the room shows Elena approved and Raúl still pending, by name
    client.force_login(community_manager)
    page = client.get(reverse("playbooks:crisis_room", args=[crisis.pk])).content.decode()
    states = page.split('data-testid="approver-states"')[1].split("</ul>")[0]
    assert "✔ Approved · <bdi>Elena" in states
    assert "… Pending · <bdi>Raúl" in states


def test_the_author_can_never_approve_their_own_statement(crisis, community_manager, client):
    # Ana is named an approver too, but wrote the statement
    statement = services.statement_submit(crisis_id=crisis.pk, author=community_manager, body=STATEMENT)
    assert community_manager not in statement.approvers.all()
    with pytest.raises(services.CrisisForbidden):
        services.statement_decide(
            crisis_id=crisis.pk, statement_id=statement.pk, approver=community_manager, approve=True
        )
    client.force_login(community_manager)
    url = reverse("playbooks:statement_decide", args=[crisis.pk, statement.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 403


def test_a_statement_needs_two_people_before_it_can_be_published(crisis, community_manager, director):
    statement = services.statement_submit(crisis_id=crisis.pk, author=community_manager, body=STATEMENT)
    channel = ChannelFactory()

    # Not approved yet: it cannot go out
    with pytest.raises(services.CrisisError, match="Only an approved statement"):
        services.statement_publish(
            crisis_id=crisis.pk, statement_id=statement.pk, actor=community_manager, channel_ids=[channel.pk]
        )
    # approved by its own author (a forged row): still refused
    statement.status = StatementStatus.APPROVED
    statement.save(update_fields=["status"])
    statement.decisions.create(approver=community_manager, approved=True)
    with pytest.raises(services.CrisisForbidden, match="someone other than its author"):
        services.statement_publish(
            crisis_id=crisis.pk, statement_id=statement.pk, actor=community_manager, channel_ids=[channel.pk]
        )
    assert not ScheduledPost.objects.exists()


def test_an_approved_statement_is_published_on_the_chosen_channels_with_the_exact_request(
    crisis, approved, community_manager, fake_platform, django_capture_on_commit_callbacks
):
    # Given Mastodon and the simulator, and Mastodon answering with the new status's id
    mastodon = ChannelFactory(
        kind="mastodon", name="Telco en Mastodon", base_url=fake_platform.url,
        credentials_encrypted=credentials_encrypt({"access_token": "masto-token"}),
    )
    simulator = ChannelFactory(name="Simulador")
    fake_platform.script("POST", "/api/v1/statuses", PlatformReply(json={"id": "7001"}))

    # When Ana publishes the approved statement on both, even though the crisis suspended scheduled posts
    with django_capture_on_commit_callbacks(execute=True):
        posts = services.statement_publish(
            crisis_id=crisis.pk, statement_id=approved.pk, actor=community_manager,
            channel_ids=[mastodon.pk, simulator.pk],
        )

    # Then Mastodon received exactly the statement, and both posts are published with their ids
    [sent] = fake_platform.received("POST", "/api/v1/statuses")
    assert sent.json() == {"status": STATEMENT}
    by_channel = {post.channel_id: ScheduledPost.objects.get(pk=post.pk) for post in posts}
    assert by_channel[mastodon.pk].external_id == "7001"
    assert {post.status for post in by_channel.values()} == {ScheduledPostStatus.PUBLISHED}
    assert CrisisEvent.objects.filter(crisis=crisis, message_key="statement.published").exists()
    # and publishing it there again is refused
    with pytest.raises(services.CrisisError, match="Already published on Telco en Mastodon"):
        services.statement_publish(
            crisis_id=crisis.pk, statement_id=approved.pk, actor=community_manager, channel_ids=[mastodon.pk]
        )


def test_a_channel_that_cannot_take_the_statement_refuses_the_whole_publish(
    crisis, approved, community_manager, department_head, client
):
    # Given a feed, which cannot take posts, chosen beside the simulator
    feed = ChannelFactory(kind="rss", name="Foro")
    simulator = ChannelFactory(name="Simulador")
    client.force_login(community_manager)
    url = reverse("playbooks:statement_publish", args=[crisis.pk, approved.pk])

    # When Ana publishes on both
    refused = client.post(url, {"channels": [feed.pk, simulator.pk]})

    # Then nothing goes out anywhere, and the page says which channel cannot take it
    assert refused.status_code == 400
    assert "RSS/Atom does not take posts from Crisis Desk" in refused.content.decode()
    assert not ScheduledPost.objects.exists()
    # choosing no channel is refused with a reason, and a department head may not publish at all
    assert client.post(url, {}).status_code == 400
    client.force_login(department_head)
    assert client.post(url, {"channels": [simulator.pk]}).status_code == 403


def test_an_approved_statement_becomes_a_composer_template_at_once(
    crisis, community_manager, director, django_capture_on_commit_callbacks
):
    statement = services.statement_submit(crisis_id=crisis.pk, author=community_manager, body=STATEMENT)
    mention = MentionFactory()
    assert STATEMENT not in [template.body for template in reply_templates(mention=mention, author=community_manager)]

    # When Elena approves, open composers are told to re-read their templates
    with GroupListener(group_for_role("community_manager")) as composers:
        with django_capture_on_commit_callbacks(execute=True):
            services.statement_decide(crisis_id=crisis.pk, statement_id=statement.pk, approver=director, approve=True)
        seen = [composers.receive()["event"]["type"]]
        while seen[-1] != "statement.template_added" and len(seen) < 6:
            seen.append(composers.receive()["event"]["type"])
    assert seen[-1] == "statement.template_added"

    # and the statement is among the crisis's templates
    templates = reply_templates(mention=mention, author=community_manager)
    assert any(t.source == "playbook" and t.body == STATEMENT for t in templates)
