"""The generic webhook connector: our JSON shape, single or batched, and its token check."""

from __future__ import annotations

import pytest

from inbox.connectors.base import ConnectorError
from inbox.connectors.webhook import WebhookConnector

ITEM = {
    "id": "t-1",
    "text": "Cobro doble este mes",
    "author": {"id": "c-9", "handle": "@rosa", "name": "Rosa", "followers": 250},
    "created_at": "2026-03-01T10:00:00+01:00",
    "url": "https://quejas.example/t-1",
    "in_reply_to": "t-0",
    "conversation_id": "t-0",
}


@pytest.mark.parametrize("body", [ITEM, [ITEM], {"mentions": [ITEM]}])
def test_single_list_and_wrapped_bodies_give_the_same_mention(body):
    mention = WebhookConnector().parse_payload(body).mentions[0]

    assert (mention.external_id, mention.author.handle, mention.author.followers) == ("t-1", "rosa", 250)
    assert mention.conversation_id == "t-0"
    assert mention.posted_at.isoformat() == "2026-03-01T10:00:00+01:00"


def test_invalid_items_are_rejected_one_by_one_with_reasons():
    no_date = ITEM | {"id": "t-2", "created_at": "ayer"}
    no_author = {key: value for key, value in ITEM.items() if key != "author"} | {"id": "t-3"}

    result = WebhookConnector().parse_payload([no_date, ITEM, no_author, "texto suelto"])

    assert [mention.external_id for mention in result.mentions] == ["t-1"]
    assert [item.reason.split(":")[0] for item in result.rejected] == [
        "'created_at' is missing or not a date",
        "'author' is missing",
        "mention is not an object",
    ]


def test_a_javascript_url_from_a_stranger_is_dropped():
    mention = WebhookConnector().parse_payload(ITEM | {"url": "javascript:alert(1)"}).mentions[0]

    assert mention.url == ""


def test_a_body_of_the_wrong_shape_is_refused():
    with pytest.raises(ConnectorError):
        WebhookConnector().parse_payload("hola")


def test_token_comparison():
    connector = WebhookConnector(credentials={"token": "s3cret"})

    assert connector.token_matches("s3cret")
    assert not connector.token_matches("s3cre")
    assert not connector.token_matches("")
    assert not WebhookConnector().token_matches("")
