"""A community manager corrects triage's labels from the mention page; the correction is kept."""

import pytest

from crisisdesk.models import AuditEvent
from inbox.models import LabelCorrection
from tests.factories import MentionFactory

pytestmark = pytest.mark.django_db


def test_community_manager_corrects_a_category_to_troll_and_the_author_history_learns_it(
    client, community_manager
):
    mention = MentionFactory(category="complaint")
    client.force_login(community_manager)
    page = client.get(f"/inbox/mentions/{mention.pk}/")
    assert b'name="field" value="category"' in page.content

    response = client.post(f"/inbox/mentions/{mention.pk}/relabel/", {"field": "category", "value": "troll"})

    assert response.status_code == 302
    mention.refresh_from_db()
    assert mention.category == "troll"
    correction = LabelCorrection.objects.get(mention=mention)
    assert (correction.old_value, correction.new_value) == ("complaint", "troll")
    assert correction.corrected_by == community_manager
    mention.author.refresh_from_db()
    assert mention.author.hidden_as_troll_count == 1
    assert AuditEvent.objects.filter(verb="mention.relabel", target_id=str(mention.pk)).exists()


def test_an_invalid_label_is_refused_with_a_message_and_nothing_is_stored(client, community_manager):
    mention = MentionFactory(sentiment="negative")
    client.force_login(community_manager)
    response = client.post(f"/inbox/mentions/{mention.pk}/relabel/", {"field": "sentiment", "value": "furious"})
    assert response.status_code == 400
    assert "furious" in response.content.decode()
    assert LabelCorrection.objects.count() == 0


def test_relabelling_an_unknown_mention_is_404_and_directors_may_not_relabel(client, community_manager, director):
    client.force_login(community_manager)
    assert client.post("/inbox/mentions/999999/relabel/", {"field": "category", "value": "spam"}).status_code == 404
    mention = MentionFactory()
    client.force_login(director)
    response = client.post(f"/inbox/mentions/{mention.pk}/relabel/", {"field": "category", "value": "spam"})
    assert response.status_code == 403
