"""Each brand's topics and watch terms, edited on a page by directors and admins: triage tags new
mentions with them, detection watches them and suggests the topic's crisis type; no telecom words
are assumed for a brand that has none. Alert routes are edited on a page by the same people."""

from __future__ import annotations

import pytest
from django.utils import timezone

from crisisdesk.models import AuditEvent
from inbox.connectors.base import NormalizedAuthor, NormalizedMention
from inbox.models import BrandVocabulary, MentionMinuteStat
from inbox.services import mentions_ingest
from inbox.vocabulary import brand_vocabulary
from playbooks.explanation import type_suggest
from playbooks.models import AlertRoute
from tests.factories import ChannelFactory
from tests.playbooks.alerting import SLACK_HOOK

pytestmark = pytest.mark.django_db


def _mention(number: int, text: str) -> NormalizedMention:
    return NormalizedMention(
        external_id=f"vocabulary-{number}", text=text, posted_at=timezone.now(),
        author=NormalizedAuthor(external_id=f"author-{number}", handle=f"cliente{number}"),
    )


def _topics_of_the_minute(brand: str) -> set[str]:
    return set(MentionMinuteStat.objects.filter(brand=brand).exclude(topic="").values_list("topic", flat=True))


def _vocabulary_post(**extra):
    data = {
        "topics-TOTAL_FORMS": "2", "topics-INITIAL_FORMS": "0", "topics-MIN_NUM_FORMS": "0",
        "topics-MAX_NUM_FORMS": "30",
        "topics-0-name": "returns", "topics-0-crisis_type": "commercial",
        "topics-0-terms": "devoluci\nreembolso\nrefund",
        "topics-1-name": "", "topics-1-crisis_type": "", "topics-1-terms": "",
        "watch_terms": "Boicot\nOCU.",
    }
    return data | extra


def test_a_brand_without_a_vocabulary_assumes_no_telecom_words():
    channel = ChannelFactory(brand="Zapatos")
    mentions_ingest(channel=channel, mentions=[_mention(1, "Sin servicio y con la factura mal #fatal")])
    assert _topics_of_the_minute("Zapatos") == {"#fatal"}


def test_a_director_edits_the_topics_and_watch_terms_and_new_mentions_are_tagged_with_them(client, director):
    # Given a shoe shop's channel
    channel = ChannelFactory(brand="Zapatos")
    client.force_login(director)
    assert client.get("/alerts/vocabulary/?brand=Zapatos").status_code == 200

    # When Elena gives it a "returns" topic (commercial) and two watch terms
    response = client.post("/alerts/vocabulary/?brand=Zapatos", _vocabulary_post())

    # Then they are saved, folded, audited
    assert response.status_code == 302
    vocabulary = brand_vocabulary(brand="Zapatos")
    assert vocabulary.topics == [
        {"name": "returns", "crisis_type": "commercial", "terms": ["devoluci", "reembolso", "refund"]}
    ]
    assert vocabulary.watch_terms == ["boicot", "ocu."]
    assert AuditEvent.objects.filter(verb="brand.vocabulary_save", actor=director).exists()
    page = client.get("/alerts/vocabulary/?brand=Zapatos").content.decode()
    assert "reembolso" in page and "boicot" in page

    # and new mentions are tagged with them: a stem, a whole word, and not a word that merely starts alike
    mentions_ingest(channel=channel, mentions=[
        _mention(1, "Quiero la devolución de mis zapatos"),
        _mention(2, "Llamamos al BOICOT, lo denunciaré a la OCU"),
        _mention(3, "Ocurre otra vez lo mismo"),
    ])
    counts = dict(MentionMinuteStat.objects.filter(brand="Zapatos").values_list("topic", "volume"))
    assert counts["returns"] == 1 and counts["watch"] == 1 and counts[""] == 3

    # and detection suggests the topic's crisis type
    assert type_suggest(topic="returns", topic_volumes={}, texts=[], vocabulary=vocabulary) == "commercial"
    assert type_suggest(topic="", topic_volumes={}, texts=["un reembolso"], vocabulary=vocabulary) == "commercial"


def test_a_bad_topic_is_refused_with_its_reason_and_nothing_changes(client, admin_user):
    ChannelFactory(brand="Zapatos")
    client.force_login(admin_user)
    bad = _vocabulary_post(**{"topics-0-name": "Devoluciones y más"})
    response = client.post("/alerts/vocabulary/?brand=Zapatos", bad)
    assert response.status_code == 400
    assert "cannot name a topic" in response.content.decode()
    assert not BrandVocabulary.objects.filter(brand="Zapatos").exists()
    assert client.get("/alerts/vocabulary/?brand=Desconocida").status_code == 404


@pytest.mark.parametrize("page", ["/alerts/vocabulary/", "/alerts/routes/"])
def test_only_directors_and_admins_may_open_the_pages(client, community_manager, department_head, page):
    ChannelFactory(brand="Telco")
    for person in (community_manager, department_head):
        client.force_login(person)
        assert client.get(page).status_code == 403
        assert client.post(page, {}).status_code == 403
    client.logout()
    assert client.get(page)["Location"].startswith("/login/")


def test_a_director_adds_a_route_whose_slack_webhook_is_stored_encrypted(client, director, department):
    client.force_login(director)
    form = {
        "name": "Guardia", "brand": "", "min_severity": "4", "min_level": "2", "crisis_types": ["technical"],
        "users": [str(director.pk)], "departments": [str(department.pk)], "send_email": "on",
        "slack_url": SLACK_HOOK, "renotify_minutes": "15", "renotify_times": "2", "is_active": "on",
    }
    assert client.post("/alerts/routes/", form | {"slack_url": "https://evil.example.com/hook"}).status_code == 400
    assert not AlertRoute.objects.exists()

    response = client.post("/alerts/routes/", form)

    assert response.status_code == 302
    route = AlertRoute.objects.get()
    assert route.slack_webhook_url == SLACK_HOOK and SLACK_HOOK not in route.slack_webhook
    assert (route.min_severity, route.min_level, route.crisis_types) == (4, 2, ["technical"])
    assert list(route.departments.all()) == [department]
    assert SLACK_HOOK not in client.get(f"/alerts/routes/{route.pk}/").content.decode()
    # Saving again without a webhook keeps the stored one
    client.post(f"/alerts/routes/{route.pk}/", form | {"slack_url": "", "name": "Guardia 24h"})
    route.refresh_from_db()
    assert route.name == "Guardia 24h" and route.slack_webhook_url == SLACK_HOOK
