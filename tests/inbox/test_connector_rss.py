"""The feed connector: conditional GETs with ETag/Last-Modified, entries as plain-text mentions."""

from __future__ import annotations

import pytest

from inbox.connectors.base import ConnectorError
from inbox.connectors.rss import RssConnector
from inbox.models import Channel, Mention
from inbox.services import channel_poll
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Foro de clientes</title><link href="https://foro.example/"/>
<entry><id>tag:foro.example,2026:42</id><title>Sin fibra en Vigo</title>
<author><name>marisa_vigo</name></author><link href="https://foro.example/t/42"/>
<updated>2026-03-01T08:30:00Z</updated>
<content type="html">&lt;p&gt;Desde ayer &amp;amp; sin aviso&lt;br&gt;¿Alguien más?&lt;/p&gt;
&lt;script&gt;alert(1)&lt;/script&gt;</content>
</entry>
<entry><title></title><updated>2026-03-01T09:00:00Z</updated></entry>
</feed>""".encode()


def test_poll_stores_entries_and_remembers_etag_then_a_304_brings_nothing(fake_platform):
    headers = {
        "ETag": '"v1"',
        "Last-Modified": "Sun, 01 Mar 2026 09:00:00 GMT",
        "Content-Type": "application/atom+xml",
    }
    fake_platform.script("GET", "/feed.xml", Reply(body=ATOM, headers=headers))
    channel = Channel.objects.create(name="Foro", kind="rss", base_url=f"{fake_platform.url}/feed.xml")

    report = channel_poll(channel_id=channel.pk)

    assert report.created == 1
    assert report.rejected == 1
    mention = Mention.objects.select_related("author").get()
    assert mention.external_id == "tag:foro.example,2026:42"
    assert mention.text == "Sin fibra en Vigo\n\nDesde ayer & sin aviso\n¿Alguien más?"
    assert mention.author.handle == "marisa_vigo"
    assert mention.url == "https://foro.example/t/42"
    assert mention.posted_at.isoformat() == "2026-03-01T08:30:00+00:00"
    channel.refresh_from_db()
    assert channel.cursor == {"etag": '"v1"', "last_modified": "Sun, 01 Mar 2026 09:00:00 GMT"}

    # When the feed has not changed
    fake_platform.script("GET", "/feed.xml", Reply(status=304, body=b""))
    report = channel_poll(channel_id=channel.pk)

    # Then the conditional headers were sent and nothing new was stored
    second = fake_platform.received("GET", "/feed.xml")[1]
    assert second.headers["If-None-Match"] == '"v1"'
    assert second.headers["If-Modified-Since"] == "Sun, 01 Mar 2026 09:00:00 GMT"
    assert report.created == 0
    assert Mention.objects.count() == 1
    channel.refresh_from_db()
    assert channel.cursor["etag"] == '"v1"'
    assert channel.consecutive_failures == 0


def test_the_same_entries_polled_again_are_duplicates(fake_platform):
    fake_platform.script("GET", "/feed.xml", Reply(body=ATOM))
    channel = Channel.objects.create(name="Foro", kind="rss", base_url=f"{fake_platform.url}/feed.xml")

    channel_poll(channel_id=channel.pk)
    report = channel_poll(channel_id=channel.pk)

    assert (report.created, report.duplicates) == (0, 1)


def test_a_document_that_is_not_a_feed_is_an_error(fake_platform):
    fake_platform.script("GET", "/feed.xml", Reply(body=b'{"not": "a feed"}'))
    connector = RssConnector(base_url=f"{fake_platform.url}/feed.xml")

    with pytest.raises(ConnectorError, match="Not an RSS or Atom feed"):
        connector.fetch_since({})


def test_real_rss2_capture_parses_every_item(shared_dir):
    raw = (shared_dir / "realdata/feeds/reddit_frontpage_rss2_2015__rss-parser.xml").read_bytes()

    result = RssConnector().parse_payload(raw)

    assert len(result.mentions) == 24
    first = result.mentions[0]
    assert first.text.startswith(
        "The water is too deep, so he improvises\n\nsubmitted by cakebeerandmorebeer"
    )
    assert "<" not in first.text
    assert first.posted_at.isoformat() == "2015-11-12T21:16:39+00:00"
