"""Each role lands on its own start page; anonymous users go to login; every route declares its roles."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fixture", "start_page"),
    [
        ("community_manager", "/inbox/"),
        ("department_head", "/escalation/"),
        ("director", "/dashboard/"),
        ("admin_user", "/dashboard/"),
    ],
)
def test_after_login_each_role_lands_on_its_start_page(client, request, fixture, start_page):
    user = request.getfixturevalue(fixture)
    response = client.post(reverse("login"), {"username": user.username, "password": "secret-pass-123"})
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert follow.status_code == 302
    assert follow["Location"] == start_page
    assert client.get(start_page).status_code == 200


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/inbox/")


def test_department_head_may_not_open_the_inbox(client, department_head):
    client.force_login(department_head)
    assert client.get("/inbox/").status_code == 403


def test_wrong_password_is_refused_and_repeated_failures_are_throttled(client, community_manager, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(2):
        response = client.post(reverse("login"), {"username": "ana", "password": "wrong"})
        assert response.status_code == 200
    # The failure that reaches the limit already says so
    response = client.post(reverse("login"), {"username": "ana", "password": "wrong"})
    assert response.status_code == 429
    response = client.post(reverse("login"), {"username": "ana", "password": "secret-pass-123"})
    assert response.status_code == 429


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_every_route_declares_who_may_use_it():
    """A new page or endpoint without a role declaration fails here."""
    undeclared = []
    for route, callback in _walk(get_resolver().url_patterns):
        if route.startswith("admin/"):
            continue  # Django's admin checks is_staff and its own permissions
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        declared = (
            hasattr(callback, "allowed_roles")
            or getattr(callback, "is_public", False)
            or (view_class is not None and getattr(view_class, "allowed_roles", None))
        )
        if not declared:
            undeclared.append(route)
    assert undeclared == []


def test_the_language_switch_never_redirects_off_site(client, community_manager):
    client.force_login(community_manager)
    response = client.post("/language/", {"language": "es", "next": "https://evil.example/phish"})
    assert response.status_code == 302
    assert response["Location"] == "/inbox/"
    community_manager.refresh_from_db()
    assert community_manager.language == "es"
