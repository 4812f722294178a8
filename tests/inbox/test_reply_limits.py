"""Each network's own limit, counted as the network counts, signature included: over is refused with the
length, exactly the limit goes through, nothing is ever cut; where a channel cannot reply there is no box."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inbox import services
from inbox.models import Reply, ReplyState
from inbox.reply_length import reply_length, reply_limit
from tests.factories import ChannelFactory, MentionFactory

pytestmark = pytest.mark.django_db

SIGNATURE = "\n— Ana"  # the channel's "— {name}" signed by Ana: 6 characters everywhere


def body_of(total: int) -> str:
    """A body that, signed, is exactly `total` characters on any network."""
    return "a" * (total - len(SIGNATURE))


@pytest.mark.parametrize(
    ("kind", "limit"), [("x", 280), ("mastodon", 500), ("facebook", 8000), ("instagram", 2200)]
)
def test_each_network_takes_exactly_its_limit_and_refuses_one_more(kind, limit, community_manager):
    assert reply_limit(kind=kind) == limit
    mention = MentionFactory(channel=ChannelFactory(kind=kind))

    with pytest.raises(services.InboxError) as refused:
        services.reply_queue(mention_id=mention.pk, author=community_manager, body=body_of(limit + 1))
    assert f"{limit + 1} characters long with the signature" in str(refused.value)
    assert f"at most {limit}" in str(refused.value)
    assert "Shorten it by 1" in str(refused.value)
    assert not Reply.objects.filter(mention=mention).exists()

    reply = services.reply_queue(mention_id=mention.pk, author=community_manager, body=body_of(limit))
    assert reply.body == body_of(limit)
    assert reply_length(text=reply.signed_body, kind=kind) == limit


def test_a_ten_thousand_character_reply_is_refused_not_cut_and_never_marked_sent(community_manager):
    mention = MentionFactory(channel=ChannelFactory(kind="facebook"))
    with pytest.raises(services.InboxError, match="10006 characters long"):
        services.reply_queue(mention_id=mention.pk, author=community_manager, body="b" * 10000)
    assert not Reply.objects.filter(state=ReplyState.SENT).exists()


def test_x_counts_urls_as_23_and_wide_characters_as_two():
    url = "https://example.com/" + "p" * 100
    assert reply_length(text=f"mira {url}", kind="x") == 5 + 23
    assert reply_length(text="日本語", kind="x") == 6
    assert reply_length(text="¿Qué tal? ñ", kind="x") == 11
    assert reply_length(text="👍🏽 ok", kind="x") == 5
    assert reply_length(text="👨\u200d👩\u200d👧", kind="x") == 2


def test_mastodon_counts_urls_as_23_and_remote_handles_by_their_user_part():
    assert reply_length(text="@ana@mastodon.social hola", kind="mastodon") == len("@ana hola")
    assert reply_length(text="https://example.com/" + "p" * 100, kind="mastodon") == 23
    assert reply_length(text="日本語", kind="mastodon") == 3


def test_code_points_not_utf16_units_on_facebook():
    assert reply_length(text="😀😀", kind="facebook") == 2


def test_a_url_heavy_reply_over_280_raw_characters_fits_x(community_manager):
    mention = MentionFactory(channel=ChannelFactory(kind="x"))
    body = "Estado del servicio: https://status.telco.example/" + "z" * 300
    reply = services.reply_queue(mention_id=mention.pk, author=community_manager, body=body)
    assert reply.body == body


def test_the_page_refuses_an_over_limit_reply_with_the_reason_and_keeps_the_draft(client, community_manager):
    client.force_login(community_manager)
    mention = MentionFactory(channel=ChannelFactory(kind="x"))
    draft = body_of(281)

    response = client.post(reverse("inbox:reply", args=[mention.pk]), {"body": draft})

    assert response.status_code == 400
    page = response.content.decode()
    assert "281 characters long with the signature; X takes at most 280" in page
    assert draft in page  # the draft is kept, whole
    assert not mention.replies.exists()
    exact = client.post(reverse("inbox:reply", args=[mention.pk]), {"body": body_of(280)})
    assert exact.status_code == 302
    assert mention.replies.get().body == body_of(280)


def test_the_api_refuses_an_over_limit_reply_with_a_400_and_takes_the_exact_limit(api):
    mention = MentionFactory(channel=ChannelFactory(kind="mastodon"))
    url = reverse("api-mention-reply", args=[mention.pk])

    over = api.post(url, {"body": body_of(501)}, format="json")
    assert over.status_code == 400
    assert "at most 500" in over.json()["detail"]
    assert api.post(url, {"body": body_of(500)}, format="json").status_code == 201


def test_the_page_shows_the_limit_and_counting_rule_of_the_network(client, community_manager):
    client.force_login(community_manager)
    mention = MentionFactory(channel=ChannelFactory(kind="x"))
    page = client.get(reverse("inbox:detail", args=[mention.pk])).content.decode()
    assert 'data-max-length="280"' in page
    assert 'data-count-mode="x"' in page
    assert 'data-testid="reply-counter"' in page
    assert "maxlength" not in page.split('id="reply-form"')[1].split("</form>")[0]


def test_rss_has_no_reply_box_and_says_why(client, community_manager):
    client.force_login(community_manager)
    mention = MentionFactory(channel=ChannelFactory(kind="rss"))

    page = client.get(reverse("inbox:detail", args=[mention.pk])).content.decode()

    assert 'data-testid="reply-form"' not in page
    assert 'data-testid="no-reply-box"' in page
    assert "RSS/Atom channels cannot take replies from Crisis Desk" in page
    with pytest.raises(services.InboxError, match="does not take replies"):
        services.reply_queue(mention_id=mention.pk, author=community_manager, body="Hola")
