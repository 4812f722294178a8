"""A stranger's deeply nested JSON (4 KB of `[[[[…`) is a 400 with a message on every JSON endpoint.

Python's JSON parser recurses once per bracket; before the bounded parser such a body raised
RecursionError and answered 500 — the anonymous token login and the inbound webhooks included.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.test import Client

from crisisdesk.parsers import JSON_MAX_DEPTH, JsonDocumentInvalid, json_loads_bounded
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, DeadLetter
from tests.security.test_permission_matrix import declared_roles, routes, url_for

pytestmark = pytest.mark.django_db

DEEP_BODY = b"[" * 4096
WRITE_METHODS = ("post", "put", "patch")


def _api_writes():
    """(name, url pattern, method) for every DRF view method that can take a JSON body."""
    for route, name, callback in routes():
        view_class = getattr(callback, "cls", None)
        if view_class is None:
            continue
        actions = getattr(callback, "actions", None)
        for method in WRITE_METHODS:
            if (actions and method in actions) or (not actions and hasattr(view_class, method)):
                yield name, route, method, callback


def _client_for(callback, world) -> Client:
    client = Client(raise_request_exception=False)
    roles = declared_roles(callback)
    if roles is None:
        return client
    users = {
        "admin": world.admin,
        "community_manager": world.community_manager,
        "director": world.director,
        "department_head": world.department_head,
    }
    client.force_login(next(user for role, user in users.items() if role in roles))
    return client


def test_every_api_write_answers_deep_nesting_with_400_never_500(world):
    # Given every DRF endpoint that takes a POST, PUT or PATCH, called by someone it admits
    writes = list(_api_writes())
    assert len(writes) > 10, "the resolver walk found the API"
    server_errors, refused = [], set()
    for name, route, method, callback in writes:
        client = _client_for(callback, world)
        # When the body is 4 KB of opening brackets
        response = getattr(client, method)(url_for(route, name, world), data=DEEP_BODY, content_type="application/json")
        # Then it is never a server error; an endpoint that reads its body refuses it with a message
        if response.status_code >= 500:
            server_errors.append(f"{method.upper()} {name} → {response.status_code}")
        elif response.status_code == 400:
            assert "nested deeper than" in response.json()["detail"], (name, response.content[:200])
            refused.add(name)
    assert server_errors == []
    assert {"api-token-login", "api-mention-reply", "api-webhook-list"} <= refused


def test_the_anonymous_token_login_refuses_deep_nesting_with_a_clear_400(db):
    response = Client(raise_request_exception=False).post(
        "/api/auth/token/login/", data=DEEP_BODY, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == f"The JSON document is nested deeper than {JSON_MAX_DEPTH} levels."


def test_the_generic_webhook_refuses_deep_nesting_with_a_400_and_keeps_a_dead_letter(db):
    # Given a webhook channel and a sender holding its token
    channel = Channel.objects.create(
        name="Quejas", kind="webhook", credentials_encrypted=credentials_encrypt({"token": "tok-123"})
    )

    # When the sender posts 4 KB of brackets
    response = Client(raise_request_exception=False).post(
        f"/hooks/webhook/{channel.pk}/",
        data=DEEP_BODY,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer tok-123",
    )

    # Then it is told why, and the body is kept as a dead letter
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["error"]
    assert DeadLetter.objects.get().payload.startswith("[[[[")


def test_the_meta_webhook_refuses_signed_deep_nesting_with_a_400(db):
    channel = Channel.objects.create(
        name="Página", kind="facebook", credentials_encrypted=credentials_encrypt({"app_secret": "s3cret"})
    )
    signature = "sha256=" + hmac.new(b"s3cret", DEEP_BODY, hashlib.sha256).hexdigest()

    response = Client(raise_request_exception=False).post(
        f"/hooks/meta/{channel.pk}/",
        data=DEEP_BODY,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )

    assert response.status_code == 400
    assert "nested deeper than" in response.json()["error"]


@pytest.mark.parametrize("document", ["[" * 65 + "]" * 65, '{"a":' * 65 + "1" + "}" * 65, "[" * 100_000, '{"a": NaN}'])
def test_the_helper_refuses_what_is_too_deep_or_not_strict_json(document):
    with pytest.raises(JsonDocumentInvalid):
        json_loads_bounded(document)


def test_the_helper_accepts_a_document_at_the_limit():
    document = "[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH

    assert json_loads_bounded(document) is not None
