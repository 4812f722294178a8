"""`import_mentions` backfills real saved payloads through the live pipeline, idempotently."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from inbox.models import Channel, DeadLetter, Mention

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_mentions", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def mention(channel_kind: str, external_id: str) -> Mention:
    return Mention.objects.select_related("author", "channel").get(
        channel__kind=channel_kind, external_id=external_id
    )


# Every real file: (kind, folder/file, mentions created, rejected)
REAL_FILES = [
    ("x", "x_api/search_recent_with_includes__sns-sdks_python-twitter.json", 4, 0),
    ("x", "x_api/users_mentions_timeline__sns-sdks_python-twitter.json", 5, 0),
    ("x", "x_api/quote_tweets_conversation_id__sns-sdks_python-twitter.json", 15, 0),
    ("x", "x_api/users_mentions__tweepy_cassette_2022.json", 10, 0),
    ("mastodon", "mastodon/notifications_mentions__Mastodon.py.json", 1, 0),
    ("mastodon", "mastodon/search_v2__Mastodon.py.json", 0, 0),
    ("mastodon", "mastodon/status_reply_in_reply_to__Mastodon.py.json", 1, 0),
    ("mastodon", "mastodon/timeline_tag_hoot__Mastodon.py.json", 1, 0),
    ("mastodon", "mastodon/timeline_public__Mastodon.py.json", 20, 0),
    ("meta", "meta_webhooks/page_feed_comment_add__restfb.json", 1, 0),
    ("meta", "meta_webhooks/page_feed_post_add__restfb.json", 1, 0),
    ("meta", "meta_webhooks/graph_api_page_post_comments_p1__python-facebook.json", 10, 0),
    ("meta", "meta_webhooks/instagram_comments__restfb.json", 1, 0),
    ("meta", "meta_webhooks/graph_api_ig_media_comments_p1__python-facebook.json", 2, 0),
    ("meta", "meta_webhooks/instagram_mentions__restfb.json", 0, 1),
    ("rss", "feeds/reddit_frontpage_atom_2016__rss-parser.xml", 24, 0),
    ("rss", "feeds/reddit_frontpage_rss2_2015__rss-parser.xml", 24, 0),
]


@pytest.mark.parametrize(("kind", "name", "created", "rejected"), REAL_FILES)
def test_every_real_file_imports_and_a_second_run_is_all_duplicates(
    shared_dir, kind, name, created, rejected
):
    path = str(shared_dir / "realdata" / name)

    first, _ = run("--kind", kind, path)
    second, _ = run("--kind", kind, path)

    assert f"created {created}, duplicates 0, rejected {rejected}" in first
    assert f"created 0, duplicates {created}, rejected {rejected}" in second
    assert Mention.objects.count() == created
    assert DeadLetter.objects.count() == 2 * rejected


def test_the_photo_variant_of_a_comment_is_the_same_mention(shared_dir):
    folder = shared_dir / "realdata/meta_webhooks"
    run("--kind", "meta", str(folder / "page_feed_comment_add__restfb.json"))

    output, _ = run("--kind", "meta", str(folder / "page_feed_comment_add_with_photo__restfb.json"))

    assert "created 0, duplicates 1" in output


def test_the_whole_real_corpus_lands_with_authors_texts_threads_and_times(shared_dir):
    root = shared_dir / "realdata"
    for kind, name, _, _ in REAL_FILES:
        run("--kind", kind, str(root / name))

    # X: authors from includes.users, threads from referenced_tweets and conversation_id
    reply = mention("x", "1276035977375477760")
    assert reply.author.handle == "happycamper"
    assert reply.author.display_name.startswith("Emily Waligoske")
    assert reply.in_reply_to_external_id == "1275653067283759104"
    assert reply.conversation_id == "1274086728471461889"  # the oldest ancestor visible in the response
    assert reply.posted_at == datetime(2020, 6, 25, 6, 14, 19, tzinfo=UTC)
    assert reply.url == "https://x.com/happycamper/status/1276035977375477760"
    quoted = mention("x", "1427332549479526400")
    assert quoted.conversation_id == "1427290387194974213"
    assert quoted.author.external_id == "857699969263964161"
    # the 2022 cassette has no created_at: the time comes from the snowflake id
    complaint = mention("x", "1578516295611748353")
    assert complaint.text.startswith("@Twitter @TwitterSupport this is my ENTIRE feed")
    assert complaint.posted_at.date().isoformat() == "2022-10-07"
    assert complaint.author.handle == ""
    assert Channel.objects.get(name="Import x").is_enabled is False

    # Mastodon: HTML stripped, entities unescaped, acct as handle, in_reply_to kept
    toot = mention("mastodon", "117020577157693549")
    assert toot.text == "@mastodonpy_test hello!"
    assert toot.author.handle == "admin"
    assert toot.posted_at == datetime(2026, 8, 1, 13, 51, 42, 823000, tzinfo=UTC)
    threaded = mention("mastodon", "117020583258292382")
    assert threaded.in_reply_to_external_id == "117020583245459824"
    assert threaded.conversation_id == "117020583245459824"
    assert mention("mastodon", "117024258897469903").text == "you can't say that on television"
    assert mention("mastodon", "117020593741189701").author.handle == "mastodonpy_test_2"

    # Meta: page comments and posts, Graph API lists, Instagram comments
    comment = mention("facebook", "901097836652708_903438993085259")
    assert (comment.author.display_name, comment.text) == ("Tester", "and the next one")
    assert comment.conversation_id == "1234567890321_901097836652708"
    assert comment.posted_at == datetime.fromtimestamp(1449135003, tz=UTC)
    assert mention("facebook", "1234567890321_7293787835232").author.display_name == "John Doe"
    graph_reply = mention("facebook", "10158407654328553_10158409984053553")
    assert graph_reply.text == "Facebook for Developers they don’t respond 😞"
    assert graph_reply.in_reply_to_external_id == "10158407654328553_10158407903973553"
    assert graph_reply.conversation_id == "19292868552_10158407654328553"
    instagram = mention("instagram", "123456789")
    assert (instagram.author.handle, instagram.conversation_id) == ("testuser", "76543987")
    assert Mention.objects.filter(channel__kind="instagram", text="Beautiful!").count() == 2
    dead = DeadLetter.objects.get(source="import:meta")
    assert "Graph API lookup" in dead.reason

    # Feeds: Atom authors and dates, RSS 2.0 items
    atom = Mention.objects.select_related("author").get(
        url__endswith="/42tizy/how_the_british_as_seen_by_americans_and_europeans/"
    )
    assert atom.author.handle == "/u/AngryRedditorsBelow"
    assert atom.text.startswith(
        "How the British as seen by Americans and Europeans\n\nsubmitted by /u/AngryRedditorsBelow"
    )
    assert atom.posted_at == datetime(2016, 1, 26, 20, 31, 34, tzinfo=UTC)
    assert Mention.objects.filter(channel__kind="rss").count() == 48


def test_a_malformed_file_is_a_clear_error_and_writes_nothing(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"data": [{"id": "1", "text": "cortado"')

    with pytest.raises(CommandError, match="not valid JSON"):
        run("--kind", "x", str(broken))
    with pytest.raises(CommandError, match="Cannot read"):
        run("--kind", "x", str(tmp_path / "missing.json"))
    with pytest.raises(CommandError, match="Mastodon payload"):
        (tmp_path / "number.json").write_text("42")
        run("--kind", "mastodon", str(tmp_path / "number.json"))

    assert (Channel.objects.count(), Mention.objects.count(), DeadLetter.objects.count()) == (0, 0, 0)


def test_the_command_exits_non_zero_on_a_bad_file(tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text("id,text\n1,hola\n")

    finished = subprocess.run(
        [sys.executable, "manage.py", "import_mentions", "--kind", "csv", str(broken)],
        cwd=settings.BASE_DIR,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 1
    assert "lacks the column(s) author, created_at" in finished.stderr


def test_csv_export_imports_in_batches_with_progress_and_reasons(tmp_path):
    rows = ["id,text,author,created_at,followers,in_reply_to"]
    rows += [
        f'c-{n},"Sin servicio, otra vez ({n})",cliente{n % 40},2026-03-01T10:{n % 60:02d}:00Z,{n},'
        for n in range(1200)
    ]
    rows.append("c-bad,Sin fecha,alguien,,5,")
    rows.append('c-reply,"Respuesta\nen dos líneas",cliente1,2026-03-01T11:00:00Z,5,c-1')
    export = tmp_path / "export.csv"
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")

    output, progress = run("--kind", "csv", str(export), "--channel", "Histórico", "--progress-every", "500")

    assert "created 1201, duplicates 0, rejected 1" in output
    assert "rejected 1: 'created_at' is missing or not a date" in output
    assert "500 / 1,201" in progress and "1,000 / 1,201" in progress
    channel = Channel.objects.get(name="Histórico")
    assert channel.kind == "webhook"
    reply = Mention.objects.select_related("author").get(external_id="c-reply")
    assert reply.text == "Respuesta\nen dos líneas"
    assert reply.in_reply_to_external_id == "c-1"
    assert reply.author.handle == "cliente1"
    # cliente7 wrote rows 7, 47, … 1167: the author keeps the latest follower count
    assert Mention.objects.get(external_id="c-7").author.followers == 1167

    again, _ = run("--kind", "csv", str(export), "--channel", "Histórico")
    assert "created 0, duplicates 1201, rejected 1" in again


def test_importing_into_a_channel_of_another_kind_is_refused(tmp_path, shared_dir):
    Channel.objects.create(name="Mi canal", kind="rss")

    with pytest.raises(CommandError, match="is a rss channel"):
        run(
            "--kind",
            "x",
            str(shared_dir / "realdata/x_api/users_mentions_timeline__sns-sdks_python-twitter.json"),
            "--channel",
            "Mi canal",
        )
    assert Mention.objects.count() == 0
