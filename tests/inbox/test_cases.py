"""Cases: a community manager hands mentions off to customer service under a number no one else gets.

The number comes from a per-year counter row locked FOR UPDATE; the case is shown with its mentions in
the queue and the conversation panel; department heads see no case; bad input is refused with a reason.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, transaction
from django.urls import reverse

from inbox import composer, services
from inbox.models_cases import Case, CaseStatus
from inbox.services.cases import CASE_EVENT_NAMESPACE
from integrations.models import WebhookDelivery, WebhookEndpoint
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_case_has_a_human_number_counted_per_year(community_manager):
    with transaction.atomic():
        first = services.case_number_next(year=2026)
        second = services.case_number_next(year=2026)
        next_year = services.case_number_next(year=2027)

    assert (first, second, next_year) == ("CD-2026-000001", "CD-2026-000002", "CD-2027-000001")


def test_a_case_that_rolls_back_gives_its_number_back(community_manager):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.case_number_next(year=2026)
        raise RuntimeError("the case was not stored")

    with transaction.atomic():
        assert services.case_number_next(year=2026) == "CD-2026-000001"


@pytest.mark.django_db(transaction=True)
def test_two_community_managers_opening_cases_at_once_never_share_a_number():
    managers = [factories.UserFactory(role="community_manager") for _ in range(2)]
    mentions = [factories.MentionFactory() for _ in range(2)]
    start = threading.Barrier(2)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def open_cases(manager, mention) -> None:
        try:
            start.wait()
            for _ in range(10):
                case = services.case_open(actor=manager, mention_ids=[mention.pk], case_type="technical")
                numbers.append(case.number)
        except BaseException as error:  # the assertion below shows it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_cases, args=pair) for pair in zip(managers, mentions, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    year = Case.objects.first().created_at.year
    assert sorted(numbers) == [f"CD-{year}-{n:06d}" for n in range(1, 21)]


def test_a_case_links_its_mentions_and_shows_in_the_queue_and_the_conversation(community_manager, client):
    author = factories.AuthorFactory(handle="lucia_mad")
    first = factories.MentionFactory(author=author, text="No me llega el pedido 4411")
    second = factories.MentionFactory(author=author, text="Sigo sin pedido, ¿alguien me contesta?")
    other = factories.MentionFactory(text="Otra cosa")

    case = services.case_open(
        actor=community_manager, mention_ids=[first.pk, second.pk], case_type="delivery", priority="urgent"
    )

    assert set(case.mentions.all()) == {first, second}
    assert (case.owner, case.status, case.subject) == (community_manager, CaseStatus.OPEN, "No me llega el pedido 4411")
    client.force_login(community_manager)
    queue = client.get(reverse("inbox:list")).content.decode()
    assert queue.count(f">{case.number}</a>") == 2
    panel = client.get(reverse("inbox:detail", args=[second.pk])).content.decode()
    assert 'data-testid="mention-cases"' in panel and case.number in panel
    assert 'data-testid="mention-cases"' not in client.get(reverse("inbox:detail", args=[other.pk])).content.decode()


def test_a_closed_case_no_longer_marks_its_mentions(community_manager, client):
    mention = factories.MentionFactory()
    case = services.case_open(actor=community_manager, mention_ids=[mention.pk], case_type="other")

    services.case_status_set(case_id=case.pk, actor=community_manager, status=CaseStatus.CLOSED)

    client.force_login(community_manager)
    assert case.number not in client.get(reverse("inbox:list")).content.decode()


def test_the_inbox_still_lists_a_page_in_a_fixed_number_of_queries_with_cases(
    community_manager, client, django_assert_max_num_queries
):
    mentions = [factories.MentionFactory() for _ in range(20)]
    for mention in mentions[:5]:
        services.case_open(actor=community_manager, mention_ids=[mention.pk], case_type="billing")
    client.force_login(community_manager)

    with django_assert_max_num_queries(9):
        response = client.get(reverse("inbox:list"))

    assert response.content.decode().count('data-testid="row-case"') == 5


def test_a_community_manager_opens_a_case_from_the_mention_page(community_manager, client):
    mention = factories.MentionFactory()
    client.force_login(community_manager)

    response = client.post(reverse("inbox:case_open"), {
        "mentions": [mention.pk], "case_type": "billing", "priority": "high", "subject": "Doble cargo",
    })

    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("inbox:case", args=[case.number])
    page = client.get(response["Location"]).content.decode()
    assert case.number in page and "Doble cargo" in page


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"case_type": "billing"}, "A case needs at least one mention."),
        ({"case_type": "billing", "mentions": ["999999"]}, "Some of those mentions do not exist."),
        ({"case_type": "refund", "mentions": ["MENTION"]}, "Choose the case&#x27;s type."),
        ({"case_type": "billing", "mentions": ["one"]}, "Mentions are named by their numbers."),
    ],
)
def test_a_case_without_a_real_mention_or_type_is_refused_with_the_reason(community_manager, client, post, message):
    mention = factories.MentionFactory()
    post = {key: [str(mention.pk) if v == "MENTION" else v for v in value] if isinstance(value, list) else value
            for key, value in post.items()}
    client.force_login(community_manager)

    response = client.post(reverse("inbox:case_open"), post)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Case.objects.exists()


def test_department_heads_see_no_case_and_cannot_open_one(department_head, community_manager, client):
    mention = factories.MentionFactory()
    case = services.case_open(actor=community_manager, mention_ids=[mention.pk], case_type="complaint")
    client.force_login(department_head)

    assert client.get(reverse("inbox:cases")).status_code == 403
    assert client.get(reverse("inbox:case", args=[case.number])).status_code == 403
    assert client.post(reverse("inbox:case_open"), {"mentions": [mention.pk], "case_type": "other"}).status_code == 403
    with pytest.raises(services.InboxError):
        services.case_open(actor=department_head, mention_ids=[mention.pk], case_type="other")
    assert Case.objects.count() == 1


def test_directors_read_cases_but_only_community_managers_act(director, community_manager, client):
    mention = factories.MentionFactory()
    case = services.case_open(actor=community_manager, mention_ids=[mention.pk], case_type="technical")
    client.force_login(director)

    listing = client.get(reverse("inbox:cases"))
    assert listing.status_code == 200 and case.number in listing.content.decode()
    detail = client.get(reverse("inbox:case", args=[case.number])).content.decode()
    assert 'data-testid="private-reply-form"' not in detail
    assert client.post(reverse("inbox:case_status", args=[case.number]), {"status": "closed"}).status_code == 403


def test_opening_a_case_announces_case_created_once_to_subscribed_webhooks(community_manager):
    endpoint = WebhookEndpoint.objects.create(url="https://hooks.example/cases", events=["case.created"], secret="s")
    mention = factories.MentionFactory(text="Mi router no enciende")

    case = services.case_open(actor=community_manager, mention_ids=[mention.pk], case_type="technical")

    [delivery] = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert delivery.event_type == "case.created"
    payload = delivery.payload.get("data", delivery.payload)
    assert payload["case"]["number"] == case.number
    assert payload["case"]["mentions"][0]["text"] == "Mi router no enciende"
    assert delivery.event_id == uuid.uuid5(CASE_EVENT_NAMESPACE, case.number)


def test_the_public_reply_quotes_the_case_number_in_spanish_and_english(community_manager):
    mention = factories.MentionFactory(language="en")
    case = services.case_open(actor=community_manager, mention_ids=[mention.pk], case_type="billing")

    templates = [t for t in composer.reply_templates(mention=mention, author=community_manager) if t.source == "case"]

    assert [t.body for t in templates] == [
        f"We have opened case {case.number} — our customer service team will write to you privately.",
        f"Hemos abierto el caso {case.number}: nuestro equipo de atención al cliente te escribirá por privado.",
    ]
