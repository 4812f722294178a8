"""The permission matrix, generated from the URL resolver and the websocket routing.

Every route (URL kwargs filled with ids of real objects) is requested by every role: anonymous, a
community manager, the head of department A, the head of department B, a director and an
administrator. What is expected comes from the route's own role declaration, checked against the
rules that must hold whatever a view declares (anonymous users never get in; department heads never
see the inbox, crises or the dashboard; B's head never sees A's request), plus an explicit table for
the routes that differ. A new route without a declaration — or a new public one — fails here.
"""

from __future__ import annotations

import re

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from console.routing import websocket_urlpatterns
from crisisdesk.roles import user_role
from escalation.services.links import request_link_token

pytestmark = pytest.mark.django_db

# Routes open to anonymous users on purpose: they authenticate otherwise (signature, token exchange).
# An escalation request's signed link is its own credential (docs/ESCALATION.md); Slack signs its interactions.
PUBLIC = {
    "login",
    "logout",
    "healthz",
    # Prometheus: a bearer METRICS_TOKEN or an address in METRICS_ALLOWED_NETWORKS, else 403 (crisisdesk.views.metrics)
    "metrics",
    "hooks:meta",
    "hooks:generic",
    "hooks:discourse",
    "api-token-login",
    # calendar apps send no session: the feed checks its signed token (escalation.oncall_feed)
    "escalation:on_call_feed",
    "escalation:respond",
    "escalation:respond_acknowledge",
    "escalation:respond_answer",
    "escalation:slack_interactions",
    # single sign-on: the way in for people with no session yet; both are 404s until it is configured
    "sign_on:start",
    "sign_on:callback",
    # inbound-mail providers sign their POSTs (Mailgun) or carry our Basic credentials (Postmark)
    "escalation:mail_mailgun",
    "escalation:mail_postmark",
    # an alert's signed link opens its "Acknowledge alert" page (playbooks.alert_links)
    "playbooks:alert_respond",
}

# Pages and APIs a department head may never use, whatever the view declares.
HEAD_FORBIDDEN = re.compile(
    r"^(inbox:.*|playbooks:(dashboard.*|crisis.*|alert.*|playbook.*|statement.*|checklist.*|revision.*"
    r"|publishing.*|post_.*)"
    r"|api-(mention|channel|cluster|crisis|playbook|alert|post|publishing)-.*)$"
)

# Deliberate exception: every page's crisis banner (title and level only) is shown to everyone signed in.
HEAD_ALLOWED = {"playbooks:crisis_banner"}

# The object each `pk` points at, by route-name prefix.
PK_OWNERS = {
    "api-mention-": "mention",
    "api-cluster-action-": "cluster_action",
    "api-cluster-": "cluster",
    "api-escalation-": "escalation_request",
    "api-crisis-": "crisis",
    "api-playbook-": "playbook",
    "api-webhook-": "webhook_endpoint",
    "api-reply-": "reply",
    "api-post-": "scheduled_post",
}
ACTIONS = {
    "playbooks:crisis_status": "contain",
    "playbooks:post_action": "submit",
    "api-post-action": "submit",
    "playbooks:revision_decide": "accept",
    "playbooks:crisis_role": "assign",
}

A_REQUEST_ROUTES = {
    "escalation:detail",
    "escalation:card",
    "escalation:acknowledge",
    "escalation:answer",
    "escalation:close",
    "api-escalation-detail",
    "api-escalation-acknowledge",
    "api-escalation-answer",
    "api-escalation-close",
}

ROLES = ("anonymous", "community_manager", "head_of_a", "head_of_b", "director", "admin")

# Routes whose outcome for someone differs from what the declaration alone implies.
EXPECTED: dict[tuple[str, str], set[int]] = {
    **{(name, "head_of_b"): {403, 404, 405} for name in A_REQUEST_ROUTES},
    # no worker heartbeat in this test: health says 503 "degraded", to everyone alike
    **{("healthz", who): {200, 503} for who in ROLES},
    ("escalation:detail", "head_of_a"): {200},
    ("escalation:card", "head_of_a"): {200},
    ("api-escalation-detail", "head_of_a"): {200},
    ("escalation:desk", "head_of_a"): {200},
    ("inbox:list", "community_manager"): {200},
    ("inbox:detail", "community_manager"): {200},
    ("playbooks:dashboard", "director"): {200},
    ("playbooks:crisis_room", "community_manager"): {200},
    ("api-mention-list", "community_manager"): {200},
    ("api-mention-detail", "community_manager"): {200},
}


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else prefix + str(pattern.pattern)
            yield prefix + str(pattern.pattern), name, pattern.callback


def routes() -> list[tuple[str, str, object]]:
    return [route for route in _walk(get_resolver().url_patterns) if not route[0].startswith("admin/")]


def declared_roles(callback) -> frozenset[str] | None:
    """The roles a view admits; None for a public view. Fails for a view that declares nothing."""
    if getattr(callback, "is_public", False):
        return None
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    roles = getattr(callback, "allowed_roles", None)
    if roles is None and view_class is not None:
        roles = getattr(view_class, "allowed_roles", None)
    if not roles:
        pytest.fail(f"{callback!r} declares no allowed_roles and is not @public")
    return frozenset(roles)


def url_for(route: str, name: str, world) -> str:
    def fill(match: re.Match) -> str:
        kwarg = match.group(2)
        if kwarg == "pk":
            owner = next((obj for prefix, obj in PK_OWNERS.items() if name.startswith(prefix)), None)
            if owner is None:
                pytest.fail(f"route {name} takes a pk: add its object to PK_OWNERS")
            return str(getattr(world, owner).pk)
        if kwarg == "action":
            return ACTIONS[name]
        if kwarg == "chart":
            return "volume"
        if kwarg == "number":  # a case, by its number
            return world.case.number
        if kwarg == "role":  # an incident role of the crisis
            return "scribe"
        if kwarg == "token":  # a department channel's link: whoever opens it signs in
            return request_link_token(request_id=world.escalation_request.pk, user_id=None)
        objects = {
            "line_id": world.holding_line,
            "mention_id": world.mention,
            "request_id": world.escalation_request,
            "crisis_id": world.crisis,
            "item_id": world.crisis.checklist.first(),
            "statement_id": world.statement,
            "alert_id": world.alert,
            "route_id": world.alert_route,
            "playbook_id": world.playbook,
            "revision_id": world.revision,
            "reply_id": world.reply,
            "channel_id": world.channel,
            "department_id": world.department,
            "cluster_id": world.cluster,
            "action_id": world.cluster_action,
            "author_id": world.mention.author,
            "post_id": world.scheduled_post,
            "user_id": world.director,
            "delivery_id": world.case_delivery,
            "drill_id": world.drill,
        }
        if kwarg not in objects:
            pytest.fail(f"route {name} takes <{kwarg}>: say which real object fills it")
        return str(objects[kwarg].pk)

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def test_every_route_answers_every_role_as_declared(world):
    failures: list[str] = []
    seen_public: set[str] = set()
    clients: dict[str, Client] = {}
    for who, user in world.users().items():
        clients[who] = Client()
        if user is not None:
            clients[who].force_login(user)
    for route, name, callback in routes():
        roles = declared_roles(callback)
        url = url_for(route, name, world)
        if roles is None:
            seen_public.add(name)
            if name not in PUBLIC:
                failures.append(f"{name} is public but not in the PUBLIC list")
        for who, user in world.users().items():
            response = clients[who].get(url)
            status = response.status_code
            expected = EXPECTED.get((name, who))
            if expected is not None:
                if status not in expected:
                    failures.append(f"{who} GET {url} ({name}) → {status}, expected {sorted(expected)}")
            elif status >= 500:
                failures.append(f"{who} GET {url} ({name}) → {status}")
            elif roles is None:
                continue
            elif user is None:
                redirected_to_login = status == 302 and response["Location"].startswith(
                    settings.LOGIN_URL if settings.LOGIN_URL.startswith("/") else "/login/"
                )
                if not (redirected_to_login or status in (401, 403, 405)):
                    failures.append(f"anonymous GET {url} ({name}) → {status}")
            elif who.startswith("head_of") and HEAD_FORBIDDEN.match(name) and name not in HEAD_ALLOWED:
                if status not in (403, 405):
                    failures.append(f"{who} GET {url} ({name}) → {status}, a department head must get 403")
            elif user_role(user) not in roles:
                if status not in (403, 405):
                    failures.append(f"{who} GET {url} ({name}) → {status}, not a declared role")
    assert failures == [], "\n".join(failures)
    assert seen_public == PUBLIC, "a public route disappeared: update the PUBLIC list"


def test_department_heads_are_not_declared_on_console_pages():
    """The declaration itself, not only the answer: no inbox, crisis or dashboard view admits heads."""
    admitted = [
        name
        for route, name, callback in routes()
        if HEAD_FORBIDDEN.match(name)
        and name not in HEAD_ALLOWED
        and "department_head" in (declared_roles(callback) or ())
    ]
    assert admitted == []


def test_the_admin_is_closed_to_everyone_but_staff(world):
    for who, user in world.users().items():
        client = Client()
        if user is not None:
            client.force_login(user)
        response = client.get("/admin/")
        if user is not None and user.is_staff:
            assert response.status_code == 200, who
        else:
            assert response.status_code == 302 and "/admin/login/" in response["Location"], who


WEBSOCKET_EXPECTED = {
    "ws/console/": {
        "anonymous": False,
        "community_manager": True,
        "head_of_a": True,
        "head_of_b": True,
        "director": True,
        "admin": True,
    },
}


@pytest.mark.django_db(transaction=True)
def test_every_websocket_route_refuses_anonymous_users_and_admits_as_declared(world):
    from channels.auth import AuthMiddlewareStack

    application = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
    cookies: dict[str, bytes | None] = {}
    for who, user in world.users().items():
        if user is None:
            cookies[who] = None
            continue
        client = Client()
        client.force_login(user)
        cookies[who] = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()
        )

    async def accepted(path: str, cookie: bytes | None) -> bool:
        headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
        if cookie:
            headers.append((b"cookie", cookie))
        communicator = WebsocketCommunicator(application, "/" + path, headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected

    outcomes = {}
    for pattern in websocket_urlpatterns:
        path = str(pattern.pattern)
        expected = WEBSOCKET_EXPECTED.get(path, {"anonymous": False})
        for who, cookie in cookies.items():
            outcome = async_to_sync(accepted)(path, cookie)
            if who in expected:
                outcomes[(path, who)] = (outcome, expected[who])
    assert {key: value for key, value in outcomes.items() if value[0] != value[1]} == {}
    assert set(WEBSOCKET_EXPECTED) <= {str(pattern.pattern) for pattern in websocket_urlpatterns}
