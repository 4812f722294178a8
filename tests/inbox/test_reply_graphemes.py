"""Bluesky counts a post in graphemes (at most 300) and bytes (at most 3000): what a reader sees as one
character is one, however many code points it takes. X and Mastodon keep their own rules."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inbox import services
from inbox.connectors import CONNECTOR_CLASSES, capabilities_for
from inbox.models import Reply
from inbox.reply_length import LENGTH_UNITS, count_mode, reply_bytes, reply_length
from tests.factories import ChannelFactory, MentionFactory

FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # man, woman, girl, boy joined by ZERO WIDTH JOINERs: 7 code points
FLAG = "🇪🇸"  # two regional indicators
THUMB = "👍🏽"  # with a skin tone modifier
E_ACUTE = "e\u0301"  # "e" and COMBINING ACUTE ACCENT, not the precomposed "é"
NAMASTE = "नमस्ते"  # Devanagari: six code points, three clusters (न, म, स्ते)
SIGNATURE = "\n— Ana"  # 6 graphemes, 8 bytes


@pytest.mark.parametrize(
    ("text", "graphemes", "code_points"),
    [
        (FAMILY, 1, 7),
        (FLAG, 1, 2),
        (THUMB, 1, 2),
        (E_ACUTE, 1, 2),
        ("\u00e9", 1, 1),
        (NAMASTE, 3, 6),
        (f"Hola {FAMILY}{FLAG}", 7, 14),
        ("\r\n", 1, 2),  # CR LF is one cluster
    ],
)
def test_bluesky_counts_what_a_reader_sees_as_one_character_once(text, graphemes, code_points):
    assert reply_length(text=text, kind="bluesky") == graphemes
    assert reply_length(text=text, kind="facebook") == code_points  # plain networks count code points


def test_the_counting_rule_is_declared_by_each_connector_and_known_to_the_counter():
    assert count_mode("bluesky") == "graphemes"
    assert (count_mode("x"), count_mode("mastodon"), count_mode("youtube")) == ("x", "mastodon", "characters")
    assert capabilities_for("bluesky").max_bytes == 3000
    for kind in CONNECTOR_CLASSES:
        assert capabilities_for(kind).length_unit in LENGTH_UNITS, kind


def test_x_and_mastodon_keep_their_own_rules():
    url = "https://example.com/" + "p" * 100
    assert reply_length(text=f"{FAMILY} {url}", kind="x") == 2 + 1 + 23  # an emoji sequence weighs 2
    assert reply_length(text="日本語", kind="x") == 6
    assert reply_length(text="日本語", kind="mastodon") == 3
    assert reply_length(text=f"@ana@mastodon.social {url}", kind="mastodon") == len("@ana ") + 23


@pytest.mark.django_db
def test_three_hundred_family_emoji_is_within_the_graphemes_but_over_the_bytes(community_manager):
    mention = MentionFactory(channel=ChannelFactory(kind="bluesky"))
    body = FAMILY * 294  # 294 + 6 = 300 graphemes, but 25 bytes each

    with pytest.raises(services.InboxError) as refused:
        services.reply_queue(mention_id=mention.pk, author=community_manager, body=body)

    assert f"{25 * 294 + 8} bytes long with the signature" in str(refused.value)
    assert "at most 3000 bytes" in str(refused.value)
    assert not Reply.objects.filter(mention=mention).exists()


@pytest.mark.django_db
def test_bluesky_takes_exactly_300_graphemes_of_accented_letters_and_refuses_301(community_manager):
    mention = MentionFactory(channel=ChannelFactory(kind="bluesky"))
    exact = E_ACUTE * 294  # 588 code points, 294 graphemes, 882 bytes

    reply = services.reply_queue(mention_id=mention.pk, author=community_manager, body=exact)
    assert reply_length(text=reply.signed_body, kind="bluesky") == 300
    assert reply_bytes(text=reply.signed_body) == 3 * 294 + 8

    other = MentionFactory(channel=mention.channel)
    with pytest.raises(services.InboxError, match="301 characters long with the signature.*at most 300"):
        services.reply_queue(mention_id=other.pk, author=community_manager, body=exact + NAMASTE[:1])


@pytest.mark.django_db
def test_the_composer_is_told_to_count_graphemes_and_bytes(client, community_manager):
    client.force_login(community_manager)
    mention = MentionFactory(channel=ChannelFactory(kind="bluesky"))

    page = client.get(reverse("inbox:detail", args=[mention.pk])).content.decode()

    assert 'data-count-mode="graphemes"' in page
    assert 'data-max-length="300"' in page
    assert 'data-max-bytes="3000"' in page
