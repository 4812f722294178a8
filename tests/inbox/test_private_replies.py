"""A case's private reply reaches the author the way each network allows, with the exact request it documents.

Facebook and Instagram: Meta's private reply (the Send API with the comment as recipient); X: a direct message
to the author; Mastodon: a direct status mentioning them. The fake platform refuses any other request shape.
"""

from __future__ import annotations

import pytest

from inbox import services
from inbox.credentials import credentials_encrypt
from inbox.models import Author, Channel
from inbox.models_cases import DeliveryState
from tests import factories
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def _mention(channel: Channel, *, external_id: str, author_id: str, handle: str, raw: dict | None = None):
    author = Author.objects.create(platform=channel.kind, external_id=author_id, handle=handle)
    return factories.MentionFactory(
        channel=channel, author=author, external_id=external_id, raw=raw or {},
        text="Me habéis cobrado dos veces la factura de marzo",
    )


def _private_reply(community_manager, mention, body: str):
    case = services.case_open(actor=community_manager, mention_ids=[mention.pk], case_type="billing")
    delivery = services.case_private_reply_queue(
        case_id=case.pk, actor=community_manager, mention_id=mention.pk, body=body
    )
    return case, services.case_delivery_attempt(delivery_id=delivery.pk)


def test_a_facebook_comment_is_answered_privately_through_the_pages_send_api(community_manager, fake_platform):
    channel = Channel.objects.create(
        name="Telco Facebook", kind="facebook", base_url=fake_platform.url, config={"page_id": "4455"},
        credentials_encrypted=credentials_encrypt({"access_token": "page-token"}),
    )
    mention = _mention(channel, external_id="4455_777_901", author_id="1254477777772919", handle="Lucía Martín",
                       raw={"item": "comment", "verb": "add", "comment_id": "4455_777_901"})
    fake_platform.meta_private_replies("4455", message_id="m_AG5Hz2Uq7tuw")

    case, delivery = _private_reply(community_manager, mention, "Hola Lucía, te escribimos por tu caso.")

    assert delivery.state == DeliveryState.DONE
    assert delivery.external_id == "m_AG5Hz2Uq7tuw"
    [request] = fake_platform.received("POST", "/4455/messages")
    assert request.query["access_token"] == ["page-token"]
    assert request.json() == {
        "recipient": {"comment_id": "4455_777_901"},
        "message": {"text": "Hola Lucía, te escribimos por tu caso."},
    }


def test_a_visitor_post_on_the_page_is_answered_with_its_post_id(community_manager, fake_platform):
    channel = Channel.objects.create(
        name="Telco Facebook", kind="facebook", base_url=fake_platform.url, config={"page_id": "4455"},
        credentials_encrypted=credentials_encrypt({"access_token": "page-token"}),
    )
    mention = _mention(channel, external_id="4455_888", author_id="99", handle="Pablo", raw={"item": "status"})
    fake_platform.meta_private_replies("4455")

    _private_reply(community_manager, mention, "Hola Pablo.")

    [request] = fake_platform.received("POST", "/4455/messages")
    assert request.json()["recipient"] == {"post_id": "4455_888"}


def test_an_instagram_comment_is_answered_privately_from_the_instagram_account(community_manager, fake_platform):
    channel = Channel.objects.create(
        name="Telco Instagram", kind="instagram", base_url=fake_platform.url, config={"ig_user_id": "1784"},
        credentials_encrypted=credentials_encrypt({"access_token": "ig-token"}),
    )
    mention = _mention(channel, external_id="17870913679156914", author_id="ig-5", handle="lucia.mad")
    fake_platform.meta_private_replies("1784", message_id="m_ig_1")

    _, delivery = _private_reply(community_manager, mention, "Hola, te escribimos por privado.")

    assert (delivery.state, delivery.external_id) == (DeliveryState.DONE, "m_ig_1")
    [request] = fake_platform.received("POST", "/1784/messages")
    assert request.json() == {
        "recipient": {"comment_id": "17870913679156914"},
        "message": {"text": "Hola, te escribimos por privado."},
    }


def test_an_x_author_gets_a_direct_message_with_the_channels_user_token(community_manager, fake_platform):
    channel = Channel.objects.create(
        name="Telco X", kind="x", base_url=fake_platform.url, config={"user_id": "42"},
        credentials_encrypted=credentials_encrypt({"bearer_token": "app-only", "user_access_token": "user-token"}),
    )
    mention = _mention(channel, external_id="1900000000000000001", author_id="2244994945", handle="lucia_mad")
    fake_platform.x_direct_messages("2244994945", event_id="1582838223935680512")

    _, delivery = _private_reply(community_manager, mention, "Hola Lucía, seguimos por aquí.")

    assert (delivery.state, delivery.external_id) == (DeliveryState.DONE, "1582838223935680512")
    [request] = fake_platform.received("POST", "/2/dm_conversations/with/2244994945/messages")
    assert request.headers["Authorization"] == "Bearer user-token"
    assert request.json() == {"text": "Hola Lucía, seguimos por aquí."}


def test_an_x_token_refused_once_is_refreshed_and_the_message_sent_once(community_manager, fake_platform):
    channel = Channel.objects.create(
        name="Telco X", kind="x", base_url=fake_platform.url, config={"user_id": "42"},
        credentials_encrypted=credentials_encrypt(
            {"user_access_token": "stale", "refresh_token": "r1", "client_id": "cid", "user_token_expires_at": 9e9}
        ),
    )
    mention = _mention(channel, external_id="1900000000000000002", author_id="2244994945", handle="lucia_mad")
    path = "/2/dm_conversations/with/2244994945/messages"
    fake_platform.script("POST", path, Reply(401, {"title": "Unauthorized"}),
                         Reply(201, {"data": {"dm_conversation_id": "c", "dm_event_id": "e2"}}))
    fake_platform.script("POST", "/2/oauth2/token", Reply(200, {
        "access_token": "fresh", "refresh_token": "r2", "expires_in": 7200, "token_type": "bearer",
    }))

    _, delivery = _private_reply(community_manager, mention, "Hola de nuevo.")

    assert delivery.external_id == "e2"
    assert [r.headers["Authorization"] for r in fake_platform.received("POST", path)] == [
        "Bearer stale", "Bearer fresh",
    ]


def test_a_mastodon_author_gets_a_direct_status_that_mentions_them(community_manager, fake_platform):
    channel = Channel.objects.create(
        name="Telco Mastodon", kind="mastodon", base_url=fake_platform.url,
        credentials_encrypted=credentials_encrypt({"access_token": "masto-token"}),
    )
    raw = {"status": {"id": "1101", "visibility": "public", "account": {"id": "7", "acct": "lucia@mastodon.social"}}}
    mention = _mention(channel, external_id="1101", author_id="7", handle="lucia@mastodon.social", raw=raw)
    fake_platform.mastodon_direct_statuses(status_id="1102")

    _, delivery = _private_reply(community_manager, mention, "Te escribimos sobre tu factura.")

    assert (delivery.state, delivery.external_id) == (DeliveryState.DONE, "1102")
    [request] = fake_platform.received("POST", "/api/v1/statuses")
    assert request.json() == {
        "status": "@lucia@mastodon.social Te escribimos sobre tu factura.", "visibility": "direct",
    }
    assert request.headers["Idempotency-Key"]


def test_a_refused_private_reply_is_dead_with_metas_error_and_not_sent_again(community_manager, fake_platform):
    channel = Channel.objects.create(
        name="Telco Facebook", kind="facebook", base_url=fake_platform.url, config={"page_id": "4455"},
        credentials_encrypted=credentials_encrypt({"access_token": "page-token"}),
    )
    mention = _mention(channel, external_id="4455_777_902", author_id="5", handle="Ana", raw={"item": "comment"})
    fake_platform.script("POST", "/4455/messages", Reply(400, {"error": {
        "message": "(#10) This message is sent outside of allowed window.", "type": "OAuthException", "code": 10,
    }}))

    case, delivery = _private_reply(community_manager, mention, "Hola Ana.")
    again = services.case_delivery_attempt(delivery_id=delivery.pk)

    assert delivery.state == DeliveryState.DEAD
    assert "outside of allowed window" in delivery.last_error
    assert again.state == DeliveryState.DEAD
    assert len(fake_platform.received("POST", "/4455/messages")) == 1


def test_a_network_without_private_replies_is_refused_with_the_reason(community_manager):
    mention = factories.MentionFactory(channel=factories.ChannelFactory(kind="bluesky"))
    case = services.case_open(actor=community_manager, mention_ids=[mention.pk], case_type="technical")

    with pytest.raises(services.CaseError, match="no private reply"):
        services.case_private_reply_queue(case_id=case.pk, actor=community_manager, mention_id=mention.pk, body="Hola")


def test_an_author_is_answered_privately_once_per_mention(community_manager, fake_platform):
    channel = Channel.objects.create(
        name="Telco Facebook", kind="facebook", base_url=fake_platform.url, config={"page_id": "4455"},
        credentials_encrypted=credentials_encrypt({"access_token": "page-token"}),
    )
    mention = _mention(channel, external_id="4455_777_903", author_id="6", handle="Eva", raw={"item": "comment"})
    fake_platform.meta_private_replies("4455")
    case, _ = _private_reply(community_manager, mention, "Hola Eva.")

    with pytest.raises(services.CaseError, match="already been answered privately"):
        services.case_private_reply_queue(case_id=case.pk, actor=community_manager, mention_id=mention.pk, body="Otra")
