"""Retention: mentions past MENTION_RETENTION_MONTHS go to verified archive files before they are deleted.

Off by default; nothing is ever deleted that is not in a file that read back whole, and a mention that
a crisis or a case still points at stays where a person can open it.
"""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from inbox import services
from inbox.models import LabelCorrection, Mention, MentionMinuteStat, Reply
from inbox.models_cases import Case
from inbox.services import retention
from playbooks.models import Crisis
from tests.factories import MentionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _aged(days: int, **fields) -> Mention:
    moment = timezone.now() - timedelta(days=days)
    return MentionFactory(received_at=moment, posted_at=moment, **fields)


def _archived(directory) -> list[dict]:
    lines = []
    for path in sorted(directory.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as archive:
            lines += [json.loads(line) for line in archive]
    return lines


def test_old_mentions_are_archived_with_their_replies_then_deleted(tmp_path):
    # given a mention answered fourteen months ago, with its reply and a label correction, and one from last week
    manager = UserFactory()
    old = _aged(420, text="Sin fibra en Cádiz desde ayer", status="replied")
    Reply.objects.create(mention=old, author=manager, body="Lo revisamos ahora mismo", state="sent")
    LabelCorrection.objects.create(mention=old, field="category", old_value="other", new_value="complaint")
    recent = _aged(7)
    MentionMinuteStat.objects.create(minute=old.received_at, brand="Telco", channel=old.channel, volume=1)

    # when the retention of twelve months runs, in batches of one
    report = services.mentions_archive(before=services.retention_cutoff(months=12), directory=tmp_path, batch_size=1)

    # then the old mention is in a compressed file with its reply and correction, and gone from the database
    assert report.archived == 1 and len(report.files) == 1
    (line,) = _archived(tmp_path)
    assert line["mention"]["id"] == old.pk and line["mention"]["text"] == "Sin fibra en Cádiz desde ayer"
    assert [reply["body"] for reply in line["replies"]] == ["Lo revisamos ahora mismo"]
    assert line["label_corrections"][0]["new_value"] == "complaint"
    assert list(Mention.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not Reply.objects.exists()
    # and the dashboard's rollup of that month is kept
    assert MentionMinuteStat.objects.filter(volume=1).exists()
    # and a second run finds nothing more to archive
    assert services.mentions_archive(before=services.retention_cutoff(months=12), directory=tmp_path).archived == 0


def test_mentions_a_crisis_or_a_case_points_at_are_kept(tmp_path):
    # given three old mentions: one in a crisis, one in a case, one in neither
    in_crisis, in_case, alone = _aged(400), _aged(400), _aged(400)
    crisis = Crisis.objects.create(title="Caída de la fibra", brand="Telco", crisis_type="technical")
    crisis.mentions.add(in_crisis)
    case = Case.objects.create(number="C-1", subject="Cobro doble", owner=UserFactory())
    case.mentions.add(in_case)

    # when the retention runs
    report = services.mentions_archive(before=services.retention_cutoff(months=12), directory=tmp_path)

    # then only the one nothing points at moved to the archive
    assert report.archived == 1
    assert [line["mention"]["id"] for line in _archived(tmp_path)] == [alone.pk]
    assert set(Mention.objects.values_list("pk", flat=True)) == {in_crisis.pk, in_case.pk}


def test_a_batch_whose_file_does_not_read_back_whole_is_not_deleted(tmp_path, monkeypatch):
    # given two old mentions, and a disk that loses the last line of what is written
    first, second = _aged(400), _aged(399)
    write = retention._write

    def lossy_write(path, mentions, **groups):
        write(path, mentions[:-1], **groups)

    monkeypatch.setattr(retention, "_write", lossy_write)

    # when the retention runs, then it stops on the verification
    with pytest.raises(services.ArchiveVerificationFailed):
        services.mentions_archive(before=services.retention_cutoff(months=12), directory=tmp_path)
    # and both mentions are still in the database
    assert set(Mention.objects.values_list("pk", flat=True)) == {first.pk, second.pk}


def test_retention_is_off_by_default(tmp_path, settings):
    # given a mention from two years ago and no retention configured
    settings.MENTION_ARCHIVE_DIR = tmp_path
    old = _aged(730)
    assert settings.MENTION_RETENTION_MONTHS == 0

    # when the nightly task runs, then it archives nothing; and the command refuses without a retention
    assert services.mentions_archive_due().archived == 0
    with pytest.raises(CommandError):
        call_command("archive_mentions")
    assert Mention.objects.filter(pk=old.pk).exists()

    # when a retention of twelve months is set, then the nightly task archives it
    settings.MENTION_RETENTION_MONTHS = 12
    assert services.mentions_archive_due().archived == 1
    assert not Mention.objects.filter(pk=old.pk).exists()


def test_the_command_counts_before_it_archives(tmp_path):
    # given an old mention
    old = _aged(500)
    output = StringIO()

    # when the command runs as a dry run, then it only counts
    call_command("archive_mentions", "--months", "12", "--dry-run", stdout=output)
    assert "1 mentions received before" in output.getvalue()
    assert Mention.objects.filter(pk=old.pk).exists()

    # when it runs for real into a directory, then the mention is archived there
    call_command("archive_mentions", "--months", "12", "--directory", str(tmp_path), stdout=output)
    assert "Archived 1 mentions" in output.getvalue()
    assert [line["mention"]["id"] for line in _archived(tmp_path)] == [old.pk]
