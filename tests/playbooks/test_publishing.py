"""The publishing calendar: a post is written, approved by someone else, and published through its channel
at its time — once, with the platform's id kept, or with the failure recorded and shown."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crisisdesk.models import AuditEvent
from inbox.credentials import credentials_encrypt
from inbox.models import ScheduledPost, ScheduledPostStatus
from inbox.post_checks import post_check
from playbooks import services
from tests.factories import ChannelFactory
from tests.inbox.fake_platform import Reply as PlatformReply
from tests.inbox.fake_platform import fake_platform_fixture  # noqa: F401
from tests.playbooks.conftest import post_approved

pytestmark = pytest.mark.django_db

CHEERFUL = "¡Feliz viernes! 🎉 Disfruta del finde con nuestra fibra #FelizFinde"


@pytest.fixture
def mastodon(fake_platform):
    return ChannelFactory(
        kind="mastodon", name="Telco en Mastodon", base_url=fake_platform.url,
        credentials_encrypted=credentials_encrypt({"access_token": "masto-token"}),
    )


def test_a_post_goes_out_only_once_someone_other_than_its_author_approves_it(
    community_manager, director, channel
):
    # Given Ana writes a draft and sends it for approval
    post = services.scheduled_post_create(
        channel_id=channel.pk, body="Nueva tarifa", scheduled_at=timezone.now() + timedelta(hours=1),
        actor=community_manager,
    )
    assert post.status == ScheduledPostStatus.DRAFT
    services.scheduled_post_submit(post_id=post.pk, actor=community_manager)

    # When she tries to approve it herself, she is refused: four eyes
    with pytest.raises(services.OutboxForbidden):
        services.scheduled_post_approve(post_id=post.pk, actor=community_manager)

    # Then Elena approves it and it is scheduled, with who approved it recorded and audited
    post = services.scheduled_post_approve(post_id=post.pk, actor=director)
    assert (post.status, post.approved_by) == (ScheduledPostStatus.SCHEDULED, director)
    assert AuditEvent.objects.filter(verb="post.approve", target_id=str(post.pk), actor=director).exists()


def test_changing_an_approved_post_makes_it_a_draft_that_needs_approval_again(community_manager, director, channel):
    post = post_approved(channel=channel, author=community_manager, approver=director)

    post = services.scheduled_post_edit(post_id=post.pk, actor=director, body="Nueva tarifa, ahora más barata")

    assert (post.status, post.approved_by) == (ScheduledPostStatus.DRAFT, None)
    assert services.scheduled_posts_publish_due(now=timezone.now() + timedelta(days=1)) == []


def test_the_composers_checks_refuse_what_the_network_would_and_warn_as_for_a_reply(community_manager):
    x = ChannelFactory(kind="x", name="@Telco_es")
    rss = ChannelFactory(kind="rss", name="Foro")
    later = timezone.now() + timedelta(hours=1)

    # X counts as X does: 281 characters are one too many
    with pytest.raises(services.OutboxError, match="280"):
        services.scheduled_post_create(channel_id=x.pk, body="a" * 281, scheduled_at=later, actor=community_manager)
    # a feed cannot take posts at all, and says so
    with pytest.raises(services.OutboxError, match="does not take posts"):
        services.scheduled_post_create(channel_id=rss.pk, body="Hola", scheduled_at=later, actor=community_manager)
    # a time in the past is refused
    with pytest.raises(services.OutboxError, match="future"):
        services.scheduled_post_create(
            channel_id=x.pk, body="Hola", scheduled_at=timezone.now() - timedelta(minutes=1), actor=community_manager
        )
    # and during a crisis a cheerful post gets the composer's crisis warnings
    codes = {warning.code for warning in post_check(kind="x", text=CHEERFUL, in_crisis=True).warnings}
    assert {"cheerful", "emoji", "hashtag"} <= codes
    assert not {"cheerful", "emoji"} & {w.code for w in post_check(kind="x", text=CHEERFUL, in_crisis=False).warnings}


def test_the_beat_publishes_a_due_post_through_mastodon_with_the_exact_request(
    community_manager, director, mastodon, fake_platform
):
    # Given an approved post whose time has come
    fake_platform.script("POST", "/api/v1/statuses", PlatformReply(json={"id": "9001"}))
    post = post_approved(channel=mastodon, author=community_manager, approver=director, body="Mantenimiento el martes")

    # When the beat runs after its time
    published = services.scheduled_posts_publish_due(now=timezone.now() + timedelta(hours=3))

    # Then Mastodon received exactly this post, with the channel's token, and its id is kept
    assert published == [post.pk]
    [sent] = fake_platform.received("POST", "/api/v1/statuses")
    assert sent.json() == {"status": "Mantenimiento el martes"}
    assert sent.headers["Authorization"] == "Bearer masto-token"
    post.refresh_from_db()
    assert (post.status, post.external_id) == (ScheduledPostStatus.PUBLISHED, "9001")
    # and a second beat publishes nothing twice
    assert services.scheduled_posts_publish_due(now=timezone.now() + timedelta(hours=3)) == []


def test_a_facebook_page_post_goes_to_the_pages_feed(community_manager, director, fake_platform):
    channel = ChannelFactory(
        kind="facebook", base_url=fake_platform.url, config={"page_id": "123"},
        credentials_encrypted=credentials_encrypt({"access_token": "page-token"}),
    )
    fake_platform.script("POST", "/123/feed", PlatformReply(json={"id": "123_456"}))
    post = post_approved(channel=channel, author=community_manager, approver=director, body="Hola desde Telco")

    services.scheduled_post_publish(post_id=post.pk, now=timezone.now() + timedelta(hours=3))

    [sent] = fake_platform.received("POST", "/123/feed")
    assert sent.form() == {"message": ["Hola desde Telco"], "access_token": ["page-token"]}
    assert ScheduledPost.objects.get(pk=post.pk).external_id == "123_456"


def test_a_platform_failure_is_recorded_and_shown_on_the_calendar(
    community_manager, director, mastodon, fake_platform, client
):
    fake_platform.script("POST", "/api/v1/statuses", PlatformReply(status=500, json={"error": "down"}))
    post = post_approved(channel=mastodon, author=community_manager, approver=director, hours=0.01)
    ScheduledPost.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))

    services.scheduled_posts_publish_due()

    post.refresh_from_db()
    assert post.status == ScheduledPostStatus.FAILED
    assert "HTTP 500" in post.error
    client.force_login(community_manager)
    page = client.get(reverse("playbooks:publishing") + "?view=list")
    assert page.status_code == 200
    assert "Publishing failed: HTTP 500" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_beats_racing_for_the_same_post_publish_it_once(community_manager, director, mastodon, fake_platform):
    # Given a due post, and a platform slow enough that both beats are in flight together
    fake_platform.script("POST", "/api/v1/statuses", PlatformReply(json={"id": "9100"}, delay=0.3))
    post = post_approved(channel=mastodon, author=community_manager, approver=director)
    later = timezone.now() + timedelta(hours=3)
    start = threading.Barrier(2)

    def beat() -> None:
        start.wait()
        try:
            services.scheduled_post_publish(post_id=post.pk, now=later)
        finally:
            connection.close()

    # When two beats publish it at the same moment
    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    # Then the platform got one post, and the row says published with its id
    assert len(fake_platform.received("POST", "/api/v1/statuses")) == 1
    post.refresh_from_db()
    assert (post.status, post.external_id) == (ScheduledPostStatus.PUBLISHED, "9100")


def test_the_calendar_pages_follow_the_roles_and_four_eyes(
    community_manager, director, department_head, channel, client
):
    # A department head has no calendar
    client.force_login(department_head)
    assert client.get(reverse("playbooks:publishing")).status_code == 403

    # Ana schedules a post from the page; a post without a time is refused with a reason, not a 500
    client.force_login(community_manager)
    when = timezone.localtime(timezone.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(reverse("playbooks:post_create"), {"channel": channel.pk, "body": "Hola"})
    assert refused.status_code == 400
    created = client.post(
        reverse("playbooks:post_create"), {"channel": channel.pk, "body": "Hola", "scheduled_at": when}
    )
    assert created.status_code == 302
    post = ScheduledPost.objects.get(body="Hola")
    client.post(reverse("playbooks:post_action", args=[post.pk, "submit"]))
    # she cannot approve it herself
    assert client.post(reverse("playbooks:post_action", args=[post.pk, "approve"])).status_code == 403

    # Elena sees it in the week with an Approve button, and approves it
    client.force_login(director)
    week = client.get(reverse("playbooks:publishing"))
    assert week.status_code == 200 and 'data-testid="approve-post"' in week.content.decode()
    client.post(reverse("playbooks:post_action", args=[post.pk, "approve"]))
    assert ScheduledPost.objects.get(pk=post.pk).status == ScheduledPostStatus.SCHEDULED


def test_the_api_creates_and_approves_posts_with_the_same_rules(
    community_manager, director, department_head, channel
):
    from rest_framework.test import APIClient

    api = APIClient()
    when = (timezone.now() + timedelta(hours=2)).isoformat()
    api.force_authenticate(department_head)
    assert api.get("/api/scheduled-posts/").status_code == 403

    api.force_authenticate(community_manager)
    assert api.post("/api/scheduled-posts/", {"channel": channel.pk, "body": ""}, format="json").status_code == 400
    created = api.post(
        "/api/scheduled-posts/", {"channel": channel.pk, "body": "Hola", "scheduled_at": when}, format="json"
    )
    assert created.status_code == 201 and created.json()["status"] == "draft"
    post_id = created.json()["id"]
    assert api.post(f"/api/scheduled-posts/{post_id}/submit/").json()["status"] == "pending"
    assert api.post(f"/api/scheduled-posts/{post_id}/approve/").status_code == 403
    assert api.post(f"/api/scheduled-posts/{post_id}/publish-twice/").status_code == 404

    api.force_authenticate(director)
    approved = api.post(f"/api/scheduled-posts/{post_id}/approve/")
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["approved_by"]) == ("scheduled", "elena")
    assert approved.json()["checks"]["refusal"] == ""
