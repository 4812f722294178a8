"""Facebook and Instagram: webhooks and Graph API lists become mentions; replies and hiding use the API."""

from __future__ import annotations

import json

import pytest

from inbox.connectors.base import ConnectorError
from inbox.connectors.meta import FacebookConnector, InstagramConnector, meta_platform
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401


def feed_change(verb: str, comment_id: str, message: str | None = "¿Cuándo vuelve la luz?") -> dict:
    value = {
        "item": "comment",
        "verb": verb,
        "comment_id": comment_id,
        "post_id": "111_222",
        "parent_id": "111_222",
        "from": {"id": "7", "name": "Carmen"},
        "created_time": 1767261600,
    }
    if message is not None:
        value["message"] = message
    return {"field": "feed", "value": value}


def page_body(*changes: dict) -> dict:
    return {"object": "page", "entry": [{"id": "111", "time": 1767261600, "changes": list(changes)}]}


def test_only_added_comments_become_mentions_edits_and_removals_are_skipped():
    body = page_body(
        feed_change("add", "222_1"),
        feed_change("edited", "222_2"),
        feed_change("remove", "222_3"),
        {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": "111_222"}},
    )

    result = FacebookConnector().parse_payload(body)

    assert [mention.external_id for mention in result.mentions] == ["222_1"]
    assert result.rejected == []
    mention = result.mentions[0]
    assert mention.author.display_name == "Carmen"
    assert mention.conversation_id == "111_222"
    assert mention.in_reply_to_external_id == "111_222"
    assert mention.url == "https://www.facebook.com/111_222?comment_id=1"


def test_a_comment_without_message_is_rejected_with_its_reason_and_the_rest_kept():
    result = FacebookConnector().parse_payload(
        page_body(feed_change("add", "222_1", message=None), feed_change("add", "222_4"))
    )

    assert [mention.external_id for mention in result.mentions] == ["222_4"]
    assert result.rejected[0].reason == "'message' is missing or empty"


def test_unknown_payload_shapes_are_refused_as_a_whole():
    with pytest.raises(ConnectorError):
        FacebookConnector().parse_payload({"hello": "world"})


def test_instagram_comment_webhook_keeps_the_username_and_media_thread(shared_dir):
    body = json.loads((shared_dir / "realdata/meta_webhooks/instagram_comments__restfb.json").read_text())

    assert meta_platform(body) == "instagram"
    mention = InstagramConnector().parse_payload(body).mentions[0]

    assert (mention.external_id, mention.text, mention.author.handle) == (
        "123456789",
        "This is an example.",
        "testuser",
    )
    assert mention.conversation_id == "76543987"
    assert mention.in_reply_to_external_id == "987654321"


def test_instagram_mention_is_looked_up_in_the_graph_api_when_the_channel_can(fake_platform, shared_dir):
    body = json.loads((shared_dir / "realdata/meta_webhooks/instagram_mentions__restfb.json").read_text())
    fake_platform.script(
        "GET",
        "/1789",
        Reply(
            json={
                "mentioned_comment": {
                    "id": "17887498072083520",
                    "text": "@telco ¿y mi reembolso?",
                    "timestamp": "2026-03-01T09:00:00+0000",
                    "username": "ines.g",
                }
            }
        ),
    )
    connector = InstagramConnector(
        base_url=fake_platform.url, config={"ig_user_id": "1789"}, credentials={"access_token": "page-token"}
    )

    result = connector.parse_payload(body)

    assert result.mentions[0].text == "@telco ¿y mi reembolso?"
    assert result.mentions[0].author.handle == "ines.g"
    query = fake_platform.received("GET", "/1789")[0].query
    assert query["fields"] == [
        "mentioned_comment.comment_id(17887498072083520){id,text,timestamp,username,media}"
    ]


def test_instagram_mention_without_credentials_goes_to_dead_letters_with_the_reason(shared_dir):
    body = json.loads((shared_dir / "realdata/meta_webhooks/instagram_mentions__restfb.json").read_text())

    result = InstagramConnector().parse_payload(body)

    assert result.mentions == []
    assert "needs a Graph API lookup" in result.rejected[0].reason


def test_facebook_reply_and_hide_use_the_graph_api(fake_platform):
    fake_platform.script("POST", "/222_1/comments", Reply(json={"id": "222_99"}))
    fake_platform.script("POST", "/222_1", Reply(json={"success": True}))
    connector = FacebookConnector(base_url=fake_platform.url, credentials={"access_token": "page-token"})

    external_id = connector.publish_reply(in_reply_to="222_1", text="Te escribimos por privado.\n— Ana")
    connector.hide(external_id="222_1")

    assert external_id == "222_99"
    reply = fake_platform.received("POST", "/222_1/comments")[0].form()
    assert reply == {"message": ["Te escribimos por privado.\n— Ana"], "access_token": ["page-token"]}
    assert fake_platform.received("POST", "/222_1")[0].form()["is_hidden"] == ["true"]


def test_instagram_reply_goes_to_the_replies_edge(fake_platform):
    fake_platform.script("POST", "/1790/replies", Reply(json={"id": "1791"}))
    connector = InstagramConnector(base_url=fake_platform.url, credentials={"access_token": "t"})

    assert connector.publish_reply(in_reply_to="1790", text="Gracias") == "1791"
    assert fake_platform.received("POST", "/1790/replies")[0].form()["message"] == ["Gracias"]


def test_graph_api_errors_are_connector_errors(fake_platform):
    fake_platform.script(
        "POST", "/222_1/comments", Reply(status=400, json={"error": {"message": "Invalid OAuth"}})
    )
    connector = FacebookConnector(base_url=fake_platform.url, credentials={"access_token": "t"})

    with pytest.raises(ConnectorError, match="HTTP 400"):
        connector.publish_reply(in_reply_to="222_1", text="hola")
