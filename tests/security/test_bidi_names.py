"""Names cannot be spoofed with bidirectional controls: stripped when stored, isolated when shown.

Issue #15, point 8: a display name with U+202E (RIGHT-TO-LEFT OVERRIDE) was stored and shown as
is, so "Eve\u202eanA" read as someone else's name and reordered the text around it.
"""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisdesk.models import User
from crisisdesk.text import BIDI_CONTROLS, clean_display_name
from escalation.services import escalation_request_create
from inbox.connectors.base import NormalizedAuthor, NormalizedMention
from inbox.models import Author, Mention, Reply
from inbox.services import mentions_ingest
from playbooks.models import Playbook
from playbooks.services import crisis_declare, playbook_version_create
from tests import factories
from tests.playbooks.conftest import technical_content

pytestmark = pytest.mark.django_db

RLO = "\u202e"
SPOOFED_AUTHOR = f"Atención al cliente{RLO}lainifO"


class _TextPlaces(HTMLParser):
    """Every piece of text of a page, and whether it sits inside a <bdi> or an element with dir="auto"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []
        self.pieces: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"br", "input", "img", "meta", "link", "hr"}:
            return
        isolated = tag == "bdi" or dict(attrs).get("dir") == "auto"
        self.stack.append(isolated or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag):
        if tag not in {"br", "input", "img", "meta", "link", "hr"} and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if data.strip():
            self.pieces.append((data, bool(self.stack) and self.stack[-1]))


def assert_isolated(html: str, name: str) -> None:
    """The name appears on the page, and every time inside its own <bdi> (or dir="auto")."""
    parser = _TextPlaces()
    parser.feed(html)
    places = [isolated for text, isolated in parser.pieces if name in text]
    assert places, f"{name!r} is not on the page"
    assert all(places), f"{name!r} is shown outside <bdi> {places}"


@pytest.fixture
def spoofing_world(community_manager, director, department, department_head, django_capture_on_commit_callbacks):
    """An author with a spoofing name, a mention assigned to Ana, her reply, an escalation and a crisis."""
    channel = factories.ChannelFactory()
    item = NormalizedMention(
        external_id="rlo-1",
        text="Sin fibra desde ayer",
        posted_at=timezone.now() - timedelta(minutes=1),
        author=NormalizedAuthor(external_id="spoofer", handle="cliente_rlo", display_name=SPOOFED_AUTHOR),
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = mentions_ingest(channel=channel, mentions=[item])
    mention = Mention.objects.get(pk=report.created_ids[0])
    Mention.objects.filter(pk=mention.pk).update(assignee=community_manager)
    Reply.objects.create(mention=mention, author=community_manager, body="Lo miramos", signature="— Ana")
    with django_capture_on_commit_callbacks(execute=True):
        escalation_request_create(
            raised_by=community_manager, department=department, question="¿Avería?", mention_ids=[mention.pk]
        )
    playbook = Playbook.objects.create(crisis_type="technical", level=2, name="Caída de red")
    playbook_version_create(playbook_id=playbook.pk, content=technical_content(), actor=None)
    crisis = crisis_declare(
        actor=community_manager, crisis_type="technical", level=2, title="Caída", mention_ids=[mention.pk]
    )
    return mention, crisis


def test_the_helper_strips_every_bidi_control_and_keeps_the_letters():
    spoofed = "Ana" + "".join(sorted(BIDI_CONTROLS)) + " Pérez"
    assert clean_display_name(spoofed) == "Ana Pérez"
    assert clean_display_name("  مريم\u200f  ") == "مريم"


def test_an_author_name_with_an_override_is_stored_without_it(spoofing_world):
    author = Author.objects.get(external_id="spoofer")
    assert author.display_name == "Atención al clientelainifO"
    assert RLO not in author.display_name


def test_a_user_name_saved_in_the_admin_loses_its_bidi_controls(client, admin_user, community_manager):
    client.force_login(admin_user)
    joined = timezone.localtime(community_manager.date_joined)
    response = client.post(
        f"/admin/crisisdesk/user/{community_manager.pk}/change/",
        {
            "username": "ana",
            "first_name": f"Ana{RLO}",
            "last_name": "\u2067Pérez\u2069",
            "email": "ana@telco.example",
            "is_active": "on",
            "date_joined_0": joined.strftime("%Y-%m-%d"),
            "date_joined_1": joined.strftime("%H:%M:%S"),
            "role": "community_manager",
            "signature": f"— Ana{RLO}",
            "language": "",
            "is_on_duty": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    community_manager.refresh_from_db()
    assert (community_manager.first_name, community_manager.last_name) == ("Ana", "Pérez")
    assert community_manager.signature == "— Ana"


def test_a_name_stored_before_the_fix_is_shown_without_its_controls(community_manager):
    User.objects.filter(pk=community_manager.pk).update(first_name=f"Ana{RLO}", last_name="Pérez")
    community_manager.refresh_from_db()
    assert community_manager.display_name == "Ana Pérez"


def test_names_are_isolated_on_the_inbox_the_mention_the_escalation_desk_and_the_crisis_room(
    client, community_manager, department_head, spoofing_world
):
    mention, crisis = spoofing_world
    client.force_login(community_manager)

    inbox = client.get(reverse("inbox:list")).content.decode()
    assert_isolated(inbox, "cliente_rlo")
    assert_isolated(inbox, "Ana")

    page = client.get(reverse("inbox:detail", args=[mention.pk])).content.decode()
    assert_isolated(page, "Atención al clientelainifO")
    assert_isolated(page, "cliente_rlo")
    assert_isolated(page, "Ana")

    room = client.get(reverse("playbooks:crisis_room", args=[crisis.pk])).content.decode()
    assert_isolated(room, "cliente_rlo")
    assert_isolated(room, "Ana")

    client.force_login(department_head)
    desk = client.get(reverse("escalation:desk")).content.decode()
    assert_isolated(desk, "cliente_rlo")
    assert_isolated(desk, "Ana")
    assert_isolated(desk, "Marta")
