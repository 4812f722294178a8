"""Platforms pushing to us: Meta's signed webhooks and the generic token webhook."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.test import Client, TestCase

from inbox.credentials import credentials_encrypt
from inbox.models import Channel, DeadLetter, Intake, Mention

pytestmark = pytest.mark.django_db

SECRET = "holdout-test-secret"
# Check values from ../shared/realdata/README.md (computed there with openssl over the files' bytes).
COMMENT_ADD_SIGNATURE = "sha256=00c10f85f69f22fb8f6cbddd54e18bc068ab4ad083f33595e3db3eac49c352c4"
INSTAGRAM_SIGNATURE = "sha256=9e8834fdcc8c51b0f6a24db8ee657e44a4ce761d9ec637f8221f2e264c9589a8"
ESCAPED_UNICODE_BODY = b'{"text":"\\u00e4\\u00f6\\u00e5"}'
ESCAPED_UNICODE_SIGNATURE = "sha256=01281673ba09ffba82ab3a7c473e78af0333bdfcc66cfe019bd71d59d96b8f3c"


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def facebook_channel() -> Channel:
    return Channel.objects.create(
        name="Página Telco",
        kind="facebook",
        credentials_encrypted=credentials_encrypt({"app_secret": SECRET, "verify_token": "verificame"}),
    )


@pytest.fixture
def comment_add(shared_dir) -> bytes:
    return (shared_dir / "realdata/meta_webhooks/page_feed_comment_add__restfb.json").read_bytes()


def post_meta(client: Client, channel: Channel, body: bytes, signature: str | None):
    """POST as Meta does; the worker's ingest of the kept intake runs when the request commits."""
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature} if signature is not None else {}
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/hooks/meta/{channel.pk}/", data=body, content_type="application/json", **headers)


def counts() -> tuple[int, int]:
    return Mention.objects.count(), DeadLetter.objects.count()


def test_readme_check_values_match_our_signing(comment_add, shared_dir):
    instagram = (shared_dir / "realdata/meta_webhooks/instagram_comments__restfb.json").read_bytes()

    assert sign(comment_add) == COMMENT_ADD_SIGNATURE
    assert sign(instagram) == INSTAGRAM_SIGNATURE
    assert sign(ESCAPED_UNICODE_BODY) == ESCAPED_UNICODE_SIGNATURE


def test_a_correctly_signed_comment_is_stored(facebook_channel, comment_add):
    client = Client(enforce_csrf_checks=True)

    response = post_meta(client, facebook_channel, comment_add, COMMENT_ADD_SIGNATURE)

    # Then it is kept before the answer, and ingested by its intake id
    assert response.status_code == 202
    intake = Intake.objects.get()
    assert response.json() == {"accepted": True, "intake": intake.pk}
    assert intake.processed_at is not None and intake.attempts == 1
    mention = Mention.objects.select_related("author").get()
    assert mention.channel == facebook_channel
    assert mention.external_id == "901097836652708_903438993085259"
    assert mention.text == "and the next one"
    assert mention.author.display_name == "Tester"
    assert mention.conversation_id == "1234567890321_901097836652708"


def test_instagram_channel_accepts_its_signed_comment(shared_dir):
    channel = Channel.objects.create(
        name="IG", kind="instagram", credentials_encrypted=credentials_encrypt({"app_secret": SECRET})
    )
    body = (shared_dir / "realdata/meta_webhooks/instagram_comments__restfb.json").read_bytes()

    response = post_meta(Client(), channel, body, INSTAGRAM_SIGNATURE)

    assert response.status_code == 202
    assert Mention.objects.get().author.handle == "testuser"


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=" + "0" * 64, COMMENT_ADD_SIGNATURE.replace("sha256=", "sha1="), sign(b"other body")],
)
def test_a_missing_or_wrong_signature_is_refused_and_nothing_is_stored(
    client, facebook_channel, comment_add, signature
):
    before = counts()

    response = post_meta(client, facebook_channel, comment_add, signature)

    assert response.status_code == 403
    assert counts() == before == (0, 0)


def test_the_signature_is_checked_over_the_raw_bytes_not_re_encoded_json(client, facebook_channel):
    # Re-encoding the decoded JSON would give "äöå" in UTF-8 and a different HMAC.
    reencoded = json.dumps(json.loads(ESCAPED_UNICODE_BODY), ensure_ascii=False).encode()
    assert sign(reencoded) != ESCAPED_UNICODE_SIGNATURE

    response = post_meta(client, facebook_channel, ESCAPED_UNICODE_BODY, ESCAPED_UNICODE_SIGNATURE)

    # The signature passes; the body is simply not a Meta event, so it is kept as a dead letter with why.
    assert response.status_code == 202
    assert "Meta payload" in DeadLetter.objects.get().reason


def test_settings_app_secret_is_used_when_the_channel_has_none(client, settings, comment_add):
    settings.META_APP_SECRET = SECRET
    channel = Channel.objects.create(name="Sin secreto", kind="facebook")

    assert post_meta(client, channel, comment_add, COMMENT_ADD_SIGNATURE).status_code == 202


def test_a_replayed_delivery_is_answered_as_duplicate_and_not_stored_twice(
    client, facebook_channel, comment_add
):
    assert post_meta(client, facebook_channel, comment_add, COMMENT_ADD_SIGNATURE).status_code == 202

    replay = post_meta(client, facebook_channel, comment_add, COMMENT_ADD_SIGNATURE)

    assert replay.status_code == 200
    assert replay.json() == {"duplicate": True, "intake": Intake.objects.get().pk}
    assert Mention.objects.count() == 1
    # The same mention in different bytes is kept and parsed again but stored once.
    reformatted = json.dumps(json.loads(comment_add)).encode()
    again = post_meta(client, facebook_channel, reformatted, sign(reformatted))
    assert again.status_code == 202
    assert Intake.objects.filter(processed_at__isnull=False).count() == 2
    assert Mention.objects.count() == 1


def test_signed_but_malformed_json_is_a_400_with_a_dead_letter(client, facebook_channel):
    body = b'{"object": "page", "entry": [{"changes": '

    response = post_meta(client, facebook_channel, body, sign(body))

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    dead = DeadLetter.objects.get()
    assert dead.payload == body.decode()
    assert dead.reason.startswith("invalid JSON")
    assert Mention.objects.count() == 0


def test_a_malformed_item_in_a_signed_batch_goes_to_dead_letters_and_the_rest_is_stored(
    client, facebook_channel
):
    change = {
        "field": "feed",
        "value": {
            "item": "comment",
            "verb": "add",
            "post_id": "1_2",
            "comment_id": "2_3",
            "from": {"id": "5", "name": "Lola"},
            "created_time": 1767261600,
            "message": "¡Sin cobertura en Cádiz!",
        },
    }
    broken = {
        "field": "feed",
        "value": {
            "item": "comment",
            "verb": "add",
            "post_id": "1_2",
            "comment_id": "2_4",
            "from": {"id": "6"},
            "created_time": 1767261600,
        },
    }
    body = json.dumps(
        {"object": "page", "entry": [{"id": "1", "time": 1767261600, "changes": [change, broken]}]},
        ensure_ascii=False,
    ).encode()

    response = post_meta(client, facebook_channel, body, sign(body))

    assert response.status_code == 202
    assert Mention.objects.get().text == "¡Sin cobertura en Cádiz!"
    dead = DeadLetter.objects.get()
    assert dead.reason == "'message' is missing or empty"
    assert dead.source == "webhook:meta"
    assert '"2_4"' in dead.payload


def test_subscription_handshake_echoes_the_challenge_only_with_the_right_token(client, facebook_channel):
    url = f"/hooks/meta/{facebook_channel.pk}/"

    good = client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "verificame", "hub.challenge": "1158201444"}
    )
    bad = client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1158201444"}
    )

    assert good.status_code == 200
    assert good.content == b"1158201444"
    assert bad.status_code == 403


def test_unknown_or_disabled_meta_channel_is_404(client, comment_add):
    disabled = Channel.objects.create(
        name="Apagado",
        kind="facebook",
        is_enabled=False,
        credentials_encrypted=credentials_encrypt({"app_secret": SECRET}),
    )

    assert post_meta(client, disabled, comment_add, COMMENT_ADD_SIGNATURE).status_code == 404
    assert (
        client.post("/hooks/meta/999999/", data=comment_add, content_type="application/json").status_code
        == 404
    )


# Generic webhook -------------------------------------------------------------------------------

GENERIC_ITEM = {
    "id": "q-1",
    "text": "Me han cobrado dos veces",
    "created_at": "2026-03-01T10:00:00Z",
    "author": {"id": "a-1", "handle": "rosa", "name": "Rosa", "followers": 30},
}


@pytest.fixture
def webhook_channel() -> Channel:
    return Channel.objects.create(
        name="Quejas", kind="webhook", credentials_encrypted=credentials_encrypt({"token": "tok-123"})
    )


def post_generic(client, channel, body, *, content_type="application/json", **headers):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/hooks/webhook/{channel.pk}/", data=data, content_type=content_type, **headers)


@pytest.mark.parametrize(
    "headers", [{"HTTP_AUTHORIZATION": "Bearer tok-123"}, {"HTTP_X_CRISISDESK_TOKEN": "tok-123"}]
)
def test_generic_webhook_with_the_token_stores_the_mentions(client, webhook_channel, headers):
    response = post_generic(client, webhook_channel, {"mentions": [GENERIC_ITEM]}, **headers)

    assert response.status_code == 202
    assert Mention.objects.select_related("author").get().author.handle == "rosa"


def test_generic_webhook_refuses_missing_and_wrong_tokens_without_storing(client, webhook_channel):
    missing = post_generic(client, webhook_channel, GENERIC_ITEM)
    wrong = post_generic(client, webhook_channel, GENERIC_ITEM, HTTP_AUTHORIZATION="Bearer tok-124")

    assert missing.status_code == 401
    assert wrong.status_code == 403
    assert counts() == (0, 0)


def test_generic_webhook_bad_requests_get_clear_4xx(client, webhook_channel):
    auth = {"HTTP_AUTHORIZATION": "Bearer tok-123"}

    assert post_generic(client, webhook_channel, "id=1", content_type="text/plain", **auth).status_code == 415
    bad_json = post_generic(client, webhook_channel, b'{"id": ', **auth)
    assert bad_json.status_code == 400
    assert "not valid JSON" in bad_json.json()["error"]
    assert client.get(f"/hooks/webhook/{webhook_channel.pk}/").status_code == 405
    unknown = client.post("/hooks/webhook/999999/", data="{}", content_type="application/json", **auth)
    assert unknown.status_code == 404
    assert Mention.objects.count() == 0


def test_generic_webhook_batch_keeps_good_items_and_dead_letters_bad_ones(client, webhook_channel):
    bad = GENERIC_ITEM | {"id": "q-2", "text": ""}

    response = post_generic(client, webhook_channel, [GENERIC_ITEM, bad], HTTP_AUTHORIZATION="Bearer tok-123")

    assert response.status_code == 202
    assert counts() == (1, 1)
    dead = DeadLetter.objects.get()
    assert (dead.source, dead.reason) == ("webhook:generic", "'text' is missing or empty")
