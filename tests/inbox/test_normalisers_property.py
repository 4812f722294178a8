"""Every connector's normalise path, fed arbitrary Unicode and arbitrary JSON shapes.

The normalise path is the connector's normaliser followed by the pipeline's one validation step
(`mention_checked`, run on every connector's output by `mentions_ingest`). Whatever comes in — lone
surrogates, NUL, bidi controls, astral characters, numbers of any size, lists where objects were
expected — it ends as a mention PostgreSQL can store, or as ItemInvalid (a dead letter with its
reason); a payload of the wrong shape as a whole is a ConnectorError. Never anything else: anything
else would fail the whole batch and, for a polled channel, hold its cursor back for ever.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.connectors.base import ConnectorError, FetchResult, ItemInvalid, NormalizedMention
from inbox.connectors.mastodon import MastodonConnector
from inbox.connectors.meta import FacebookConnector, InstagramConnector
from inbox.connectors.normalise import MAX_COUNT, mention_checked
from inbox.connectors.rss import RssConnector
from inbox.connectors.simulator import SimulatorConnector
from inbox.connectors.webhook import WebhookConnector
from inbox.connectors.x import XConnector
from inbox.models import Channel, DeadLetter, Mention
from inbox.services import mentions_ingest_batch

HOSTILE = ["\ud800", "\udfff", "\udc00\ud800", "\x00", "\u202e", "\u2066", "\u200f", "\U0001f600", "\ufeff", "\r\n"]
characters = st.one_of(st.characters(), st.sampled_from(HOSTILE))
text = st.lists(characters, max_size=30).map("".join)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**20, max_value=10**60),
    st.floats(),
    text,
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)
ids = st.one_of(text, st.integers(), st.sampled_from(["1", "123456789012345678", "a\x00b", "\ud800", " ", "x" * 129]))
dates = st.one_of(
    st.datetimes(timezones=st.sampled_from([UTC, None])).map(datetime.isoformat),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),
    st.sampled_from(["2026-03-01T10:00:00Z", "2026-03-01T10:00:00+0000", "0001-01-01T00:00:00+05:00"]),
    text,
    json_values,
)


def loose(**fields: st.SearchStrategy) -> st.SearchStrategy[dict[str, Any]]:
    """An object with some of the fields a connector looks for, each maybe of the wrong type, plus junk."""
    return st.fixed_dictionaries({}, optional=fields).flatmap(
        lambda known: st.dictionaries(text, json_values, max_size=2).map(lambda junk: junk | known)
    )


def anything(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(strategy, json_values)


webhook_items = anything(
    loose(
        id=ids,
        text=text,
        created_at=dates,
        author=anything(loose(id=ids, handle=text, name=text, followers=json_values, verified=json_values)),
        url=text,
        in_reply_to=ids,
        conversation_id=ids,
        language=text,
    )
)
tweets = anything(
    loose(
        id=ids,
        text=text,
        created_at=dates,
        author_id=ids,
        conversation_id=ids,
        lang=text,
        referenced_tweets=anything(st.lists(anything(loose(type=st.just("replied_to"), id=ids)), max_size=2)),
    )
)
x_users = anything(
    loose(
        id=ids,
        username=text,
        name=text,
        verified=json_values,
        created_at=dates,
        public_metrics=anything(loose(followers_count=json_values)),
    )
)
accounts = anything(
    loose(
        id=ids,
        acct=text,
        username=text,
        display_name=text,
        followers_count=json_values,
        created_at=dates,
        bot=json_values,
    )
)
statuses = anything(
    loose(
        id=ids,
        content=text,
        spoiler_text=text,
        created_at=dates,
        account=accounts,
        in_reply_to_id=ids,
        url=text,
        language=text,
        reblog=json_values,
    )
)
meta_values = anything(
    loose(
        verb=st.sampled_from(["add", "edited", "remove"]),
        item=st.sampled_from(["comment", "post", "status", "photo"]),
        post_id=ids,
        comment_id=ids,
        parent_id=ids,
        id=ids,
        message=text,
        text=text,
        created_time=dates,
        timestamp=dates,
        sender_id=ids,
        sender_name=text,
        media_id=ids,
        media=anything(loose(id=ids)),
        **{"from": anything(loose(id=ids, name=text, username=text))},
    )
)
meta_changes = anything(loose(field=st.sampled_from(["feed", "comments", "mentions", "other"]), value=meta_values))
graph_rows = anything(
    loose(
        id=ids,
        message=text,
        text=text,
        created_time=dates,
        timestamp=dates,
        username=text,
        permalink_url=st.one_of(
            text, st.sampled_from(["https://www.facebook.com/1/posts/2?comment_id=3", "http://[::1"])
        ),
        parent=anything(loose(id=ids)),
        **{"from": anything(loose(id=ids, name=text, username=text))},
    )
)
feed_entries = anything(
    loose(
        id=ids,
        link=text,
        title=text,
        summary=text,
        content=anything(st.lists(anything(loose(value=text)), max_size=2)),
        published_parsed=json_values,
        author=text,
        author_detail=anything(loose(href=text)),
        tags=anything(st.lists(anything(loose(term=text)), max_size=2)),
        language=text,
    )
)
simulator_items = anything(
    loose(id=ids, text=text, handle=text, followers=json_values, verified=json_values, lang=text, act=text)
)


def assert_storable(mention: NormalizedMention) -> None:
    """What PostgreSQL accepts: UTF-8 text without NUL, ids of at most 128 characters, jsonb-safe raw."""
    strings = [
        mention.external_id,
        mention.text,
        mention.conversation_id,
        mention.in_reply_to_external_id,
        mention.url,
        mention.language,
        mention.author.external_id,
        mention.author.handle,
        mention.author.display_name,
    ]
    for value in strings:
        assert isinstance(value, str)
        value.encode("utf-8")
        assert "\x00" not in value
    assert 0 < len(mention.external_id.strip()) and len(mention.external_id) <= 128
    assert 0 < len(mention.author.external_id.strip()) and len(mention.author.external_id) <= 128
    assert max(len(mention.conversation_id), len(mention.in_reply_to_external_id)) <= 128
    assert mention.text.strip()
    assert mention.posted_at.tzinfo is not None and 1970 <= mention.posted_at.year <= 9998
    assert 0 <= mention.author.followers <= MAX_COUNT
    encoded = json.dumps(mention.raw, ensure_ascii=False)
    encoded.encode("utf-8")
    assert "\\u0000" not in encoded


def normalise_path(build) -> None:
    """The normaliser either yields a storable mention after the shared check, or ItemInvalid."""
    try:
        mention = build()
        if mention is None:  # an event that is not a mention (a Meta edit), ignored on purpose
            return
        checked = mention_checked(mention)
    except ItemInvalid as error:
        assert str(error)
        return
    assert_storable(checked)


def parse_path(connector, payload: Any) -> None:
    """A whole payload is parsed into mentions and dead letters, or refused as a ConnectorError."""
    try:
        result = connector.parse_payload(payload)
    except ConnectorError:
        return
    assert isinstance(result, FetchResult)
    for mention in result.mentions:
        normalise_path(lambda mention=mention: mention)
    assert all(isinstance(item.reason, str) and item.reason for item in result.rejected)


SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(webhook_items)
def test_webhook_normaliser(item):
    normalise_path(lambda: WebhookConnector().normalise(item))


@SETTINGS
@given(anything(st.lists(webhook_items, max_size=3) | loose(mentions=st.lists(webhook_items, max_size=3))))
def test_webhook_payloads(payload):
    parse_path(WebhookConnector(), payload)


@SETTINGS
@given(tweets, st.dictionaries(ids.map(str), x_users, max_size=2))
def test_x_normaliser(tweet, users):
    normalise_path(lambda: XConnector().normalise(tweet, users=users, parents={}))


@SETTINGS
@given(
    anything(
        st.lists(
            anything(
                loose(
                    data=anything(st.lists(tweets, max_size=3)),
                    includes=anything(loose(users=anything(st.lists(x_users, max_size=2)))),
                    meta=json_values,
                )
            ),
            max_size=2,
        )
    )
)
def test_x_payloads(payload):
    parse_path(XConnector(), payload)


@SETTINGS
@given(statuses)
def test_mastodon_normaliser(status):
    normalise_path(lambda: MastodonConnector().normalise(status, parents={}))


@SETTINGS
@given(
    anything(
        st.lists(anything(loose(type=st.just("mention"), account=accounts, status=statuses)), max_size=3)
        | loose(statuses=st.lists(statuses, max_size=3))
    )
)
def test_mastodon_payloads(payload):
    parse_path(MastodonConnector(), payload)


@SETTINGS
@given(meta_changes, anything(loose(time=dates)))
def test_meta_webhook_normaliser(change, entry):
    entry = entry if isinstance(entry, dict) else {}
    for connector in (FacebookConnector(), InstagramConnector()):
        normalise_path(lambda connector=connector: connector.normalise_change(change, entry))


@SETTINGS
@given(graph_rows)
def test_meta_graph_normaliser(row):
    normalise_path(lambda: FacebookConnector().normalise_graph_comment(row))


@SETTINGS
@given(
    anything(
        loose(
            object=st.sampled_from(["page", "instagram"]),
            entry=anything(
                st.lists(anything(loose(time=dates, changes=anything(st.lists(meta_changes, max_size=2)))), max_size=2)
            ),
            data=anything(st.lists(graph_rows, max_size=2)),
        )
    )
)
def test_meta_payloads(payload):
    parse_path(FacebookConnector(), payload)


@SETTINGS
@given(feed_entries)
def test_rss_normaliser(entry):
    normalise_path(lambda: RssConnector().normalise(entry, source="https://foro.example", source_title="Foro"))


def rss_document(title: str, summary: str, guid: str, author: str) -> bytes:
    item = (
        f"<item><title>{escape(title)}</title><description>{escape(summary)}</description>"
        f"<guid>{escape(guid)}</guid><author>{escape(author)}</author></item>"
    )
    document = (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>{item}</channel></rss>'
    )
    return document.encode("utf-8", errors="surrogatepass")


@SETTINGS
@given(st.one_of(st.builds(rss_document, text, text, text, text), st.binary(max_size=200), json_values))
def test_rss_payloads(payload):
    parse_path(RssConnector(), payload)


@SETTINGS
@given(simulator_items)
def test_simulator_normaliser(item):
    normalise_path(lambda: SimulatorConnector().normalise(item, posted_at=datetime(2026, 3, 1, tzinfo=UTC)))


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(items=st.lists(webhook_items, max_size=4))
def test_any_batch_is_stored_or_dead_lettered_item_by_item_and_never_fails(items):
    # Given a webhook channel (rolled back after each example)
    with transaction.atomic():
        channel = Channel.objects.create(name="Propiedades", kind="webhook")
        # When any batch at all is ingested
        report = mentions_ingest_batch(channel_id=channel.pk, items=items)
        # Then every item is accounted for: stored, a duplicate in the batch, or a dead letter
        assert report.created + report.duplicates + report.rejected == len(items)
        assert Mention.objects.filter(channel=channel).count() == report.created
        assert DeadLetter.objects.filter(channel=channel).count() == report.rejected
        transaction.set_rollback(True)
