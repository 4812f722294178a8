"""The console speaks Spanish and English: complete, compiled catalogues, and each person's choice."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import MentionFactory

LOCALE = Path(settings.BASE_DIR) / "locale"
SPANISH_PO = LOCALE / "es" / "LC_MESSAGES" / "django.po"
SPANISH_MO = LOCALE / "es" / "LC_MESSAGES" / "django.mo"
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]|\{[a-z_]+\}")
TEMPLATE_STRING = re.compile(r"""\{%\s*(?:translate|trans)\s+(["'])(.+?)\1\s*(?:as\s+\w+\s*)?%\}""")


def live_entries(catalogue: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in catalogue if not entry.obsolete and entry.msgid]


def test_the_spanish_catalogue_has_no_untranslated_or_fuzzy_entries():
    catalogue = polib.pofile(str(SPANISH_PO))
    entries = live_entries(catalogue)
    assert len(entries) > 300
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


def test_spanish_translations_keep_every_placeholder():
    for entry in live_entries(polib.pofile(str(SPANISH_PO))):
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            expected = sorted(PLACEHOLDER.findall(entry.msgid))
            assert sorted(PLACEHOLDER.findall(translation)) == expected, entry.msgid


def test_the_compiled_catalogue_is_in_step_with_the_source():
    """The .mo files are committed so no gettext tool is needed at run time; they must match the .po."""
    source = {entry.msgid: entry.msgstr for entry in live_entries(polib.pofile(str(SPANISH_PO)))}
    compiled = {entry.msgid: entry.msgstr for entry in polib.mofile(str(SPANISH_MO)) if entry.msgid}
    singular = {msgid: text for msgid, text in source.items() if text}
    assert {msgid: compiled.get(msgid) for msgid in singular} == singular
    assert (LOCALE / "en" / "LC_MESSAGES" / "django.mo").exists()


def test_every_template_string_is_in_the_catalogue():
    """A string added to a template without re-running makemessages would stay in English for everyone."""
    known = {entry.msgid for entry in live_entries(polib.pofile(str(SPANISH_PO)))}
    missing = []
    for template in sorted((Path(settings.BASE_DIR) / "templates").rglob("*.html")):
        for _quote, text in TEMPLATE_STRING.findall(template.read_text(encoding="utf-8")):
            if text.replace("%", "%%") not in known and text not in known:
                missing.append(f"{template.name}: {text}")
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected", "unexpected"),
    [
        ("es", ["Bandeja de entrada", "Sin responder: quejas", "Atajos de teclado"], ["Unanswered"]),
        ("en", ["Inbox", "Unanswered: complaints", "Keyboard shortcuts"], ["Sin responder: quejas"]),
    ],
)
def test_the_inbox_speaks_the_language_the_person_chose(
    client, community_manager, language, expected, unexpected
):
    community_manager.language = language
    community_manager.save(update_fields=["language"])
    MentionFactory(category="complaint")
    client.force_login(community_manager)

    page = client.get(reverse("inbox:list")).content.decode()

    assert f'<html lang="{language}">' in page
    for text in expected:
        assert text in page
    for text in unexpected:
        assert text not in page


@pytest.mark.django_db
def test_choosing_english_in_the_top_bar_switches_the_next_page(client, community_manager):
    community_manager.language = "es"
    community_manager.save(update_fields=["language"])
    client.force_login(community_manager)
    assert "Escalados" in client.get(reverse("inbox:list")).content.decode()

    client.post(reverse("language_set"), {"language": "en", "next": reverse("inbox:list")})

    page = client.get(reverse("inbox:list")).content.decode()
    assert "Escalations" in page and "Escalados" not in page


@pytest.mark.django_db
def test_warnings_from_the_composer_are_translated(client, community_manager):
    community_manager.language = "es"
    community_manager.save(update_fields=["language"])
    client.force_login(community_manager)
    answer = client.post(reverse("inbox:reply_checks"), {"text": "Tranquilo, ya vuelve"}).json()
    assert [warning["message"] for warning in answer["warnings"]] == [
        "«tranquilo» puede sonar despreocupado o culpar al cliente."
    ]
