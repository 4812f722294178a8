"""The OpenAPI schema is clean, and no operation in it answers a 5xx to generated requests.

Schemathesis reads the schema drf-spectacular generates from the code, then calls every
operation through Django's WSGI handler (in this process and this test's transaction) with
bounded, deterministic examples, as a director, a community manager and an administrator.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from integrations.services import webhook_endpoint_create
from tests.factories import MentionFactory


def _schema_document() -> dict:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


def _json_bodies_only(document: dict) -> dict:
    """Clients send JSON; generated form and multipart bodies (a list, a number) cannot even be encoded."""
    for operations in document["paths"].values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content")
            if content and "application/json" in content:
                operation["requestBody"]["content"] = {"application/json": content["application/json"]}
    return document


# Bounded and repeatable: a fixed seed, 10 generated examples per operation, no shrinking, and no
# coverage phase (it enumerates every boundary value of every field, far beyond a 90 s budget).
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20261124,
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {"max-examples": 10, "no-shrink": True, "database": "none", "deterministic": True},
    }
)
schema = schemathesis.openapi.from_dict(_json_bodies_only(_schema_document()), config=CONFIG)
wsgi_application = get_wsgi_application()


def test_the_openapi_schema_generates_and_validates_without_warnings(tmp_path):
    GENERATOR_STATS.reset()
    output = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(output))
    assert "/api/mentions/" in output.read_text()
    assert "/api/webhooks/" in output.read_text()


def test_the_schema_covers_every_api_route():
    paths = set(_schema_document()["paths"])
    assert {
        "/api/mentions/",
        "/api/auth/token/",
        "/api/auth/token/login/",
        "/api/webhooks/{id}/deliveries/",
    } <= paths


@pytest.fixture
def keep_test_connection():
    """Requests go through the WSGI handler, which would close the test's connection after each one.

    Django's own test client disconnects the same receivers for the same reason.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def callers(db, keep_test_connection, director, community_manager, admin_user):
    """Some data for the operations to find, and the users whose tokens sign the calls."""
    MentionFactory.create_batch(3)
    webhook_endpoint_create(actor=admin_user, url="https://93.184.216.34/hook", events=["crisis.declared"])
    return [director, community_manager, admin_user]


@pytest.mark.slow
@schema.parametrize()
@hypothesis_settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
def test_no_operation_answers_with_a_server_error(case, callers, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "user": "100000/min"},
    }
    for user in callers:
        # The token is fetched per call: the token operations themselves rotate and revoke it.
        key = Token.objects.get_or_create(user=user)[0].key
        response = case.call(app=wsgi_application, headers={"Authorization": f"Token {key}"})
        case.validate_response(response, checks=[not_a_server_error])
