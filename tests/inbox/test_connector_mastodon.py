"""The Mastodon connector against a local fake instance: Link pagination, min_id cursor, HTML, replies."""

from __future__ import annotations

import copy
import json

import pytest

from inbox.connectors.base import ConnectorError
from inbox.connectors.mastodon import MastodonConnector
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, Mention
from inbox.services import channel_poll
from tests.inbox.fake_platform import Reply, fake_platform_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

PATH = "/api/v1/notifications"


@pytest.fixture
def recorded_notification(shared_dir) -> dict:
    return json.loads(
        (shared_dir / "realdata/mastodon/notifications_mentions__Mastodon.py.json").read_text()
    )[0]


def notification(
    template: dict, notification_id: str, status_id: str, content: str, in_reply_to=None
) -> dict:
    item = copy.deepcopy(template)
    item["id"] = notification_id
    item["status"].update(id=status_id, content=content, in_reply_to_id=in_reply_to)
    return item


def connector(url: str) -> MastodonConnector:
    return MastodonConnector(base_url=url, credentials={"access_token": "masto-token"})


def test_first_poll_walks_older_pages_through_link_next_and_stores_the_newest_id(
    fake_platform, recorded_notification
):
    older = (
        f'<{fake_platform.url}{PATH}?types[]=mention&max_id=30>; rel="next", '
        f'<{fake_platform.url}{PATH}?min_id=31>; rel="prev"'
    )
    fake_platform.script(
        "GET",
        PATH,
        Reply(
            json=[
                notification(recorded_notification, "32", "1002", "<p>segunda</p>"),
                notification(recorded_notification, "31", "1001", "<p>primera</p>"),
            ],
            headers={"Link": older},
        ),
        Reply(json=[notification(recorded_notification, "30", "1000", "<p>antigua</p>")]),
    )

    result = connector(fake_platform.url).fetch_since({})

    requests = fake_platform.received("GET", PATH)
    assert len(requests) == 2
    assert requests[0].query["types[]"] == ["mention"]
    assert requests[0].headers["Authorization"] == "Bearer masto-token"
    assert requests[1].query["max_id"] == ["30"]
    assert [mention.external_id for mention in result.mentions] == ["1002", "1001", "1000"]
    assert result.next_cursor == {"min_id": "32"}


def test_later_polls_ask_for_min_id_and_follow_link_prev(fake_platform, recorded_notification):
    newer = f'<{fake_platform.url}{PATH}?min_id=41>; rel="prev"'
    fake_platform.script(
        "GET",
        PATH,
        Reply(
            json=[notification(recorded_notification, "41", "2001", "<p>nueva</p>")], headers={"Link": newer}
        ),
        Reply(json=[]),
    )
    channel = Channel.objects.create(
        name="Mastodon Telco",
        kind="mastodon",
        base_url=fake_platform.url,
        cursor={"min_id": "40"},
        credentials_encrypted=credentials_encrypt({"access_token": "masto-token"}),
    )

    report = channel_poll(channel_id=channel.pk)

    requests = fake_platform.received("GET", PATH)
    assert requests[0].query["min_id"] == ["40"]
    assert requests[1].query["min_id"] == ["41"]
    assert report.created == 1
    channel.refresh_from_db()
    assert channel.cursor == {"min_id": "41"}
    mention = Mention.objects.select_related("author").get()
    assert mention.author.handle == "admin"
    assert mention.text == "nueva"


def test_html_content_becomes_plain_text_with_line_breaks_and_no_markup(recorded_notification):
    content = (
        '<p><span class="h-card"><a href="https://x.social/@telco">@<span>telco</span></a></span> '
        "sin fibra &amp; sin m&oacute;vil<br>desde ayer &lt;script&gt;</p><p>¿Alguna noticia?</p>"
    )
    item = notification(recorded_notification, "5", "500", content, in_reply_to="499")

    mention = MastodonConnector().parse_payload([item]).mentions[0]

    assert mention.text == "@telco sin fibra & sin móvil\ndesde ayer <script>\n\n¿Alguna noticia?"
    assert mention.in_reply_to_external_id == "499"
    assert mention.conversation_id == "499"


def test_replies_thread_to_the_oldest_status_seen_in_the_batch(recorded_notification):
    root = notification(recorded_notification, "1", "100", "<p>raíz</p>")
    child = notification(recorded_notification, "2", "101", "<p>respuesta</p>", in_reply_to="100")
    grandchild = notification(recorded_notification, "3", "102", "<p>otra</p>", in_reply_to="101")

    result = MastodonConnector().parse_payload([grandchild, child, root])

    assert {mention.external_id: mention.conversation_id for mention in result.mentions} == {
        "102": "100",
        "101": "100",
        "100": "100",
    }


def test_a_notification_without_status_is_rejected_and_the_rest_kept(recorded_notification):
    broken = copy.deepcopy(recorded_notification)
    broken["status"] = None

    result = MastodonConnector().parse_payload([broken, recorded_notification])

    assert len(result.mentions) == 1
    assert result.rejected[0].reason == "mention notification without a status"


def test_server_error_and_invalid_json_raise_connector_errors(fake_platform):
    fake_platform.script("GET", PATH, Reply(status=500, body=b"oops"))
    with pytest.raises(ConnectorError, match="HTTP 500"):
        connector(fake_platform.url).fetch_since({})
    fake_platform.script("GET", PATH, Reply(body=b'[{"id": "1", "type": "mention"'))
    with pytest.raises(ConnectorError, match="Invalid JSON"):
        connector(fake_platform.url).fetch_since({})


def test_rate_limit_uses_retry_after(fake_platform):
    fake_platform.script(
        "GET", PATH, Reply(status=429, json={"error": "Too many requests"}, headers={"Retry-After": "120"})
    )
    channel = Channel.objects.create(
        name="Mastodon",
        kind="mastodon",
        base_url=fake_platform.url,
        cursor={"min_id": "7"},
        credentials_encrypted=credentials_encrypt({"access_token": "t"}),
    )

    channel_poll(channel_id=channel.pk)

    channel.refresh_from_db()
    assert channel.cursor == {"min_id": "7"}
    assert channel.consecutive_failures == 1
    assert "Rate limited" in channel.last_error


def test_reply_is_posted_as_a_status_in_reply_to_with_an_idempotency_key(fake_platform):
    fake_platform.script("POST", "/api/v1/statuses", Reply(json={"id": "9001"}))

    external_id = connector(fake_platform.url).publish_reply(
        in_reply_to="500", text="Ya está resuelto.\n— Ana", context={"author_handle": "lucia", "visibility": "public"}
    )

    sent = fake_platform.received("POST", "/api/v1/statuses")[0]
    assert external_id == "9001"
    assert sent.json() == {
        "status": "@lucia Ya está resuelto.\n— Ana",
        "in_reply_to_id": "500",
        "visibility": "public",
    }
    assert len(sent.headers["Idempotency-Key"]) == 64
