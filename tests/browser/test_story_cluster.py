"""Ana answers a hundred people who all said the same thing with one approved answer, from the cluster page."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from inbox import cluster_actions
from inbox.cluster_models import ClusterReply, MentionCluster
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, Reply, ReplyState
from tests.browser.conftest import screenshot
from tests.inbox.builders import ingest_committed
from tests.inbox.clusters_data import crisis_batch
from tests.inbox.fake_platform import Reply as PlatformReply
from tests.inbox.fake_platform import fake_platform_fixture  # noqa: F401

ANSWER = "Hola {nombre}, estamos restableciendo la fibra en {zona}. Disculpa."


def test_a_cluster_of_a_hundred_complaints_is_answered_once_per_author(login_as, community_manager, fake_platform):
    # Given 150 near-identical complaints about the fibre by 100 people on X, and 20 other mentions
    fake_platform.script("POST", "/2/tweets", PlatformReply(status=201, json={"data": {"id": "9001", "text": "ok"}}))
    channel = Channel.objects.create(
        name="X Telco",
        kind="x",
        brand="Telco",
        base_url=fake_platform.url,
        config={"user_id": "42"},
        signature_template="— {name}",
        credentials_encrypted=credentials_encrypt({"bearer_token": "bearer-secret"}),
    )
    ingest_committed(channel=channel, mentions=crisis_batch(complaints=150, others=20, authors=100))
    cluster = MentionCluster.objects.filter(channel=channel).order_by("-mention_count").first()
    assert cluster is not None and cluster.author_count == 100

    # When Ana opens the clusters, picks the biggest and sends one approved answer
    page = login_as(community_manager)
    page.goto("/inbox/clusters/")
    page.locator(f"a[href='/inbox/clusters/{cluster.pk}/']").first.click()
    page.fill("textarea[name=body]", ANSWER)
    with page.expect_navigation(timeout=120_000):
        page.locator("form[action$='/answer/'] button[type=submit]").click(no_wait_after=True)

    # Then the first author is answered at once and the others wait for their slot, 18 s apart on X
    progress = page.get_by_test_id("cluster-progress").first
    expect(progress).to_contain_text("1 done, 0 failed of 100", timeout=30_000)
    assert len(fake_platform.received("POST", "/2/tweets")) == 1
    assert ClusterReply.objects.filter(cluster=cluster, state="scheduled").count() == 99

    # And half an hour later, slot by slot as the beat claims them, the progress reaches all hundred
    # authors, each answered exactly once, on the platform too
    assert cluster_actions.cluster_replies_send_due(now=timezone.now() + timedelta(minutes=30)) == 99
    expect(progress).to_contain_text("100 done, 0 failed of 100", timeout=30_000)
    deadline_posts = fake_platform.received("POST", "/2/tweets")
    for _ in range(60):
        if len(deadline_posts) >= 100:
            break
        page.wait_for_timeout(500)
        deadline_posts = fake_platform.received("POST", "/2/tweets")
    assert len(deadline_posts) == 100
    sent = Reply.objects.filter(mention__cluster=cluster, state=ReplyState.SENT).select_related("mention__author")
    per_author = Counter(reply.mention.author_id for reply in sent)
    assert len(per_author) == 100 and set(per_author.values()) == {1}
    assert ClusterReply.objects.filter(cluster=cluster).count() == 100
    bodies = [request.json()["text"] for request in deadline_posts]
    assert all(body.startswith("Hola ") and "{nombre}" not in body and body.endswith("— Ana") for body in bodies)
    screenshot(page, "cluster-answered-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "cluster-answered-390")
