"""An integration calling the API with its token: the token is read once, and a revoked token, a changed role
or a deactivated user takes effect on the very next call."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crisisdesk.token_auth import token_cache_key
from integrations.services.tokens import api_token_create, api_tokens_revoke

pytestmark = pytest.mark.django_db

MENTIONS = "/api/mentions/"


@pytest.fixture(autouse=True)
def _tokens_cached(settings):
    settings.TOKEN_CACHE_SECONDS = 60


def calling_with(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")


def refused(answer) -> bool:
    """DRF answers a bad token 403 here: the first authenticator (the session) names no challenge."""
    return answer.status_code == 403 and answer.json()["detail"] in {"Invalid token.", "User inactive or deleted."}


def token_reads(queries: CaptureQueriesContext) -> int:
    return sum('"authtoken_token"' in query["sql"] for query in queries.captured_queries)


def test_a_token_is_read_once_then_served_from_the_cache(community_manager):
    key = api_token_create(user=community_manager).key
    assert calling_with(key).get(MENTIONS).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        assert calling_with(key).get(MENTIONS).status_code == 200
    assert token_reads(queries) == 0


def test_a_revoked_token_is_refused_on_the_next_call(community_manager):
    key = api_token_create(user=community_manager).key
    assert calling_with(key).get(MENTIONS).status_code == 200

    api_tokens_revoke(user=community_manager, actor=None, reason="offboarded")

    assert refused(calling_with(key).get(MENTIONS))


def test_a_replaced_token_stops_working_and_the_new_one_works(community_manager):
    old = api_token_create(user=community_manager).key
    assert calling_with(old).get(MENTIONS).status_code == 200
    new = api_token_create(user=community_manager).key
    assert refused(calling_with(old).get(MENTIONS))
    assert calling_with(new).get(MENTIONS).status_code == 200


def test_a_new_role_applies_to_the_next_call(community_manager):
    key = api_token_create(user=community_manager).key
    assert calling_with(key).get(MENTIONS).status_code == 200

    community_manager.role = "department_head"
    community_manager.save()

    answer = calling_with(key).get(MENTIONS)
    assert answer.status_code == 403 and not refused(answer)


def test_a_deactivated_user_is_refused_on_the_next_call(community_manager):
    key = api_token_create(user=community_manager).key
    assert calling_with(key).get(MENTIONS).status_code == 200

    community_manager.is_active = False
    community_manager.save()

    assert refused(calling_with(key).get(MENTIONS))


def test_the_key_itself_is_never_a_cache_key(community_manager):
    from django.core.cache import cache

    key = api_token_create(user=community_manager).key
    calling_with(key).get(MENTIONS)
    assert cache.get(token_cache_key(key)) is not None
    assert key not in token_cache_key(key)


def test_a_cache_that_does_not_answer_still_lets_a_valid_token_in(community_manager):
    key = api_token_create(user=community_manager).key
    with mock.patch("crisisdesk.token_auth.cache.get", side_effect=ConnectionError("Redis is gone")):
        assert calling_with(key).get(MENTIONS).status_code == 200
    assert refused(calling_with("not-a-token").get(MENTIONS))
