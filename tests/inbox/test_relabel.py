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


def test_the_inbox_script_corrects_a_category_and_gets_a_message_back(client, community_manager):
    mention = MentionFactory(category="spam")
    client.force_login(community_manager)
    response = client.post(
        f"/inbox/mentions/{mention.pk}/relabel/",
        {"field": "category", "value": "question"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {"message": "Corrected: Question.", "ids": [mention.pk]}
    refused = client.post(
        f"/inbox/mentions/{mention.pk}/relabel/",
        {"field": "category", "value": "furious"},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 400
    assert "furious" in refused.json()["error"]


def test_the_mention_and_its_queue_row_show_the_reasons_and_the_confidence(client, community_manager):
    mention = MentionFactory(
        text="Me vais a oír, abogado ya", triage_tier="model", triage_confidence=0.873,
        triage_reasons=["Legal threat: abogado"],
    )
    client.force_login(community_manager)
    page = client.get(f"/inbox/mentions/{mention.pk}/").content.decode()
    assert 'data-testid="triage-confidence">87 %<' in page
    assert '<span class="tag">Legal threat: abogado</span>' in page
    rows = client.get("/inbox/").content.decode()
    assert 'data-testid="row-confidence">87 %<' in rows
    assert "Legal threat: abogado" in rows
