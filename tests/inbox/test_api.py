"""The mentions API: the inbox's filters and actions, for the tools a brand already uses."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crisisdesk.models import AuditEvent
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, ChannelKind, Reply
from tests.factories import ChannelFactory, MentionFactory

pytestmark = pytest.mark.django_db


def test_list_filters_by_category_and_sentiment(api):
    complaint = MentionFactory(category="complaint", sentiment="negative")
    MentionFactory(category="praise", sentiment="positive", text="Gracias por todo")
    response = api.get("/api/mentions/", {"category": "complaint", "sentiment": "negative"})
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [complaint.pk]


def test_list_searches_text_with_parameters_not_sql(api):
    MentionFactory(text="Sin servicio en Sevilla")
    MentionFactory(text="Todo bien en Vigo")
    response = api.get("/api/mentions/", {"q": "sevilla"})
    assert [item["text"] for item in response.json()["results"]] == ["Sin servicio en Sevilla"]
    injected = api.get("/api/mentions/", {"q": "'; DROP TABLE inbox_mention; --"})
    assert injected.status_code == 200
    assert injected.json()["results"] == []
    assert api.get("/api/mentions/").json()["results"]


def test_list_query_count_does_not_grow_with_the_page(api):
    channel = ChannelFactory()
    MentionFactory.create_batch(3, channel=channel)
    with CaptureQueriesContext(connection) as few:
        api.get("/api/mentions/")
    MentionFactory.create_batch(30, channel=channel)
    with CaptureQueriesContext(connection) as many:
        response = api.get("/api/mentions/")
    assert len(response.json()["results"]) == 33
    assert len(many) == len(few)


def test_a_bad_filter_value_is_a_400_naming_the_field(api):
    response = api.get("/api/mentions/", {"status": "exploded"})
    assert response.status_code == 400
    assert "status" in response.json()
    again = api.get("/api/mentions/", {"status": "exploded", "category": "complaint"})
    assert again.status_code == 400
    assert again.json() == response.json()
    assert api.get("/api/mentions/", {"status": "exploded"}).json() == response.json()


def test_a_bad_filter_value_is_explained_in_each_readers_language(api):
    english = api.get("/api/mentions/", {"category": "nonsense"}, HTTP_ACCEPT_LANGUAGE="en").json()["category"]
    spanish = api.get("/api/mentions/", {"category": "nonsense"}, HTTP_ACCEPT_LANGUAGE="es").json()["category"]
    assert "Select a valid choice" in english[0]
    assert spanish != english
    assert "Escoja una opción válida" in spanish[0]


def test_the_same_filters_mean_each_readers_own_mentions(community_manager):
    """Filter values are validated once per process; 'mine' is still the reader's own."""
    from crisisdesk.models import Role
    from tests.factories import UserFactory

    colleague = UserFactory(username="luis", role=Role.COMMUNITY_MANAGER)
    ana_s = MentionFactory(assignee=community_manager, status="assigned")
    luis_s = MentionFactory(assignee=colleague, status="assigned")
    readers = {}
    for user in (community_manager, colleague):
        client = APIClient()
        client.force_authenticate(user)
        readers[user.username] = client

    def mine(reader: str) -> list[int]:
        return [item["id"] for item in readers[reader].get("/api/mentions/", {"mine": "true"}).json()["results"]]

    assert mine("ana") == [ana_s.pk]
    assert mine("luis") == [luis_s.pk]
    assert mine("ana") == [ana_s.pk]


def test_community_manager_assigns_replies_hides_and_closes(api, community_manager, django_capture_on_commit_callbacks):
    mention = MentionFactory()
    assert api.post(f"/api/mentions/{mention.pk}/assign/", {}, format="json").json()["assignee"] == "ana"
    with django_capture_on_commit_callbacks(execute=True):
        reply = api.post(f"/api/mentions/{mention.pk}/reply/", {"body": "Lo revisamos ahora mismo."}, format="json")
    assert reply.status_code == 201
    assert reply.json()["signature"] == "— Ana"
    assert Reply.objects.get().state == "sent"
    hidden = api.post(f"/api/mentions/{mention.pk}/hide/", {"reason": "insultos"}, format="json")
    assert hidden.json()["is_hidden"] is True
    closed = api.post(f"/api/mentions/{mention.pk}/close/", format="json")
    assert closed.json()["status"] == "closed"
    verbs = set(AuditEvent.objects.filter(target_id=str(mention.pk)).values_list("verb", flat=True))
    assert {"mention.assign", "mention.reply", "mention.hide", "mention.close"} <= verbs


def test_empty_reply_and_missing_hide_reason_are_refused_with_the_field(api):
    mention = MentionFactory()
    empty = api.post(f"/api/mentions/{mention.pk}/reply/", {"body": "   "}, format="json")
    assert empty.status_code == 400 and "body" in empty.json()
    no_reason = api.post(f"/api/mentions/{mention.pk}/hide/", {}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert Reply.objects.count() == 0


def test_actions_on_an_unknown_mention_are_404(api):
    assert api.post("/api/mentions/999999/close/", format="json").status_code == 404
    assert api.get("/api/mentions/999999/").status_code == 404


def test_department_head_and_anonymous_may_not_read_mentions(department_head):
    MentionFactory()
    anonymous = APIClient()
    assert anonymous.get("/api/mentions/").status_code in (401, 403)
    head = APIClient()
    head.force_authenticate(department_head)
    assert head.get("/api/mentions/").status_code == 403


def test_director_reads_but_may_not_reply(director):
    mention = MentionFactory()
    client = APIClient()
    client.force_authenticate(director)
    assert client.get(f"/api/mentions/{mention.pk}/").status_code == 200
    assert client.post(f"/api/mentions/{mention.pk}/reply/", {"body": "hola"}, format="json").status_code == 403


def test_channel_health_never_returns_credentials(api):
    channel = Channel.objects.create(name="X", kind=ChannelKind.X,
                                     credentials_encrypted=credentials_encrypt({"bearer_token": "very-secret"}))
    response = api.get("/api/channels/")
    assert response.status_code == 200
    assert channel.name in response.content.decode()
    assert "very-secret" not in response.content.decode()
    assert "credentials" not in response.content.decode()


def test_token_authentication_works_for_api_clients(community_manager):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=community_manager)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/mentions/").status_code == 200


def test_openapi_schema_is_served_to_logged_in_users(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/mentions/" in response.content
