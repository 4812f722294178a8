"""The mention list is read lean (only the columns it shows, plain attributes) and says what DRF would say."""

import pytest
from rest_framework import serializers

from inbox.api import views
from inbox.api.plain_rows import PlainAttributesMixin, value_lookups
from inbox.api.serializers import MentionDetailSerializer, MentionSerializer
from inbox.models import Reply
from tests.factories import ChannelFactory, MentionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentions(community_manager):
    channel = ChannelFactory()
    return [
        MentionFactory(channel=channel),
        MentionFactory(
            channel=channel,
            assignee=community_manager,
            status="assigned",
            url="https://x.example/status/1",
            triage_reasons=["sin servicio", "caída"],
        ),
        MentionFactory(channel=channel, is_hidden=True, hidden_reason="insultos", status="closed"),
    ]


def as_drf_would(monkeypatch) -> None:
    """From here on, the list reads model instances and every serializer represents them field by field
    the way DRF itself does."""
    monkeypatch.setattr(views, "mention_list_lookups", lambda: None)
    monkeypatch.setattr(PlainAttributesMixin, "to_representation", serializers.Serializer.to_representation)


def test_the_list_is_what_drf_represents_field_by_field(api, mentions, monkeypatch):
    # Given mentions with and without an assignee, a URL, triage reasons, hidden or not
    # When the list is read, lean, and then as DRF's own representation would read it
    lean = api.get("/api/mentions/", {"status": "all"}).json()
    as_drf_would(monkeypatch)
    drf = api.get("/api/mentions/", {"status": "all"}).json()

    # Then both say exactly the same, nested author and unassigned mentions included
    assert len(lean["results"]) == 2  # the hidden one is not listed
    assert lean == drf
    unassigned = next(row for row in lean["results"] if row["id"] == mentions[0].pk)
    assert unassigned["assignee"] is None
    assert unassigned["author"]["handle"] == mentions[0].author.handle


def test_the_detail_with_its_replies_is_what_drf_represents(api, mentions, community_manager, monkeypatch):
    # Given a mention with a reply (a related field and a nested list: DRF's own path)
    mention = mentions[1]
    Reply.objects.create(mention=mention, author=community_manager, body="Lo revisamos", signature="— Ana")

    # When it is read, lean, and as DRF would read it
    lean = api.get(f"/api/mentions/{mention.pk}/").json()
    as_drf_would(monkeypatch)
    drf = api.get(f"/api/mentions/{mention.pk}/").json()

    # Then they are the same
    assert lean["replies"][0]["mention"] == mention.pk
    assert lean == drf


def test_the_list_reads_plain_rows_and_a_field_that_needs_a_mention_brings_the_mentions_back():
    # The list's serializer reads only plain columns, the nested author by its primary key
    lookups = value_lookups(MentionSerializer())
    assert "author__id" in lookups and "channel__kind" in lookups and "assignee__username" in lookups
    assert "raw" not in lookups

    # A nested list (the detail's replies) needs model instances: no plain rows for it
    assert value_lookups(MentionDetailSerializer()) is None
