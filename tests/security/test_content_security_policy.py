"""Every response carries a strict Content-Security-Policy: a script that an XSS slips into a page never runs.

The browser proof (every page, every role, no violation) is tests/browser/test_csp.py; this checks the header.
"""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def policy_of(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {name: value for name, _, value in (part.strip().partition(" ") for part in header.split(";")) if name}


def test_the_login_page_allows_scripts_and_styles_from_our_own_origin_only(client):
    policy = policy_of(client.get("/login/"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["form-action"] == "'self'"
    assert "unsafe" not in str(policy)


def test_the_websocket_origin_of_this_host_is_named_in_connect_src(community_manager):
    client = Client()
    client.force_login(community_manager)
    assert policy_of(client.get("/inbox/"))["connect-src"] == "'self' ws://testserver"
    secure = client.get("/inbox/", secure=True)
    assert policy_of(secure)["connect-src"] == "'self' wss://testserver"


def test_api_responses_and_the_admin_carry_the_policy_too(community_manager, admin_user):
    client = Client()
    client.force_login(community_manager)
    api = client.get("/api/mentions/", headers={"Accept": "text/html"})
    # (the API answers a browser with JSON, not the browsable API's pages with their inline styles)
    assert api.headers["Content-Type"] == "application/json"
    assert policy_of(api)["script-src"] == "'self'"
    client.force_login(admin_user)
    assert policy_of(client.get("/admin/"))["script-src"] == "'self'"


def test_swagger_ui_is_served_from_our_origin_with_its_script_in_a_file(community_manager):
    client = Client()
    client.force_login(community_manager)
    page = client.get("/api/docs/").content.decode()
    assert "cdn.jsdelivr.net" not in page and "<style>" not in page
    assert '<script src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"' in page
    assert "<script>" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("application/javascript")
