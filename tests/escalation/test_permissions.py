"""Who may do what: a head sees and answers only their departments' requests; directors and admins all;
community managers see their team's requests and raise them. Every route, every role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation import services
from escalation.forms import promise_default
from escalation.models import EscalationRequest

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "community_manager",
    "department_head",
    "other_department_head",
    "director",
    "admin_user",
]
ANON, CM, HEAD_A, HEAD_B, DIRECTOR, ADMIN = ROLES

# (name, method, url builder, expected status per role)
PAGE_ROUTES = [
    (
        "desk",
        "get",
        lambda r, m: reverse("escalation:desk"),
        {ANON: 302, CM: 200, HEAD_A: 200, HEAD_B: 200, DIRECTOR: 200, ADMIN: 200},
    ),
    (
        "cards",
        "get",
        lambda r, m: reverse("escalation:cards"),
        {ANON: 302, CM: 200, HEAD_A: 200, HEAD_B: 200, DIRECTOR: 200, ADMIN: 200},
    ),
    (
        "detail",
        "get",
        lambda r, m: reverse("escalation:detail", args=[r.pk]),
        {ANON: 302, CM: 200, HEAD_A: 200, HEAD_B: 404, DIRECTOR: 200, ADMIN: 200},
    ),
    (
        "card",
        "get",
        lambda r, m: reverse("escalation:card", args=[r.pk]),
        {ANON: 302, CM: 200, HEAD_A: 200, HEAD_B: 404, DIRECTOR: 200, ADMIN: 200},
    ),
    (
        "acknowledge",
        "post",
        lambda r, m: reverse("escalation:acknowledge", args=[r.pk]),
        {ANON: 302, CM: 403, HEAD_A: 302, HEAD_B: 404, DIRECTOR: 302, ADMIN: 302},
    ),
    (
        "answer",
        "post",
        lambda r, m: reverse("escalation:answer", args=[r.pk]),
        {ANON: 302, CM: 403, HEAD_A: 302, HEAD_B: 404, DIRECTOR: 302, ADMIN: 302},
    ),
    (
        "close",
        "post",
        lambda r, m: reverse("escalation:close", args=[r.pk]),
        {ANON: 302, CM: 302, HEAD_A: 302, HEAD_B: 404, DIRECTOR: 302, ADMIN: 302},
    ),
    (
        "mention_escalate",
        "post",
        lambda r, m: reverse("escalation:mention_escalate", args=[m.pk]),
        {ANON: 302, CM: 302, HEAD_A: 403, HEAD_B: 403, DIRECTOR: 302, ADMIN: 302},
    ),
    (
        "mention_panel",
        "get",
        lambda r, m: reverse("escalation:mention_panel", args=[m.pk]),
        {ANON: 302, CM: 200, HEAD_A: 403, HEAD_B: 403, DIRECTOR: 200, ADMIN: 200},
    ),
]

API_ROUTES = [
    (
        "api_list",
        "get",
        lambda r, m: "/api/escalations/",
        {ANON: 403, CM: 200, HEAD_A: 200, HEAD_B: 200, DIRECTOR: 200, ADMIN: 200},
    ),
    (
        "api_create",
        "post",
        lambda r, m: "/api/escalations/",
        {ANON: 403, CM: 201, HEAD_A: 403, HEAD_B: 403, DIRECTOR: 201, ADMIN: 201},
    ),
    (
        "api_detail",
        "get",
        lambda r, m: f"/api/escalations/{r.pk}/",
        {ANON: 403, CM: 200, HEAD_A: 200, HEAD_B: 404, DIRECTOR: 200, ADMIN: 200},
    ),
    (
        "api_acknowledge",
        "post",
        lambda r, m: f"/api/escalations/{r.pk}/acknowledge/",
        {ANON: 403, CM: 403, HEAD_A: 200, HEAD_B: 404, DIRECTOR: 200, ADMIN: 200},
    ),
    (
        "api_answer",
        "post",
        lambda r, m: f"/api/escalations/{r.pk}/answer/",
        {ANON: 403, CM: 403, HEAD_A: 201, HEAD_B: 404, DIRECTOR: 201, ADMIN: 201},
    ),
    (
        "api_close",
        "post",
        lambda r, m: f"/api/escalations/{r.pk}/close/",
        {ANON: 403, CM: 200, HEAD_A: 200, HEAD_B: 404, DIRECTOR: 200, ADMIN: 200},
    ),
    (
        "api_approved",
        "get",
        lambda r, m: "/api/escalation-answers/approved/",
        {ANON: 403, CM: 200, HEAD_A: 403, HEAD_B: 403, DIRECTOR: 200, ADMIN: 200},
    ),
]

CASES = [
    pytest.param(name, method, url, role, expected[role], id=f"{name}-{role}")
    for name, method, url, expected in PAGE_ROUTES + API_ROUTES
    for role in ROLES
]


@pytest.fixture
def world(
    request,
    community_manager,
    department,
    department_head,
    other_department_head,
    director,
    admin_user,
    mention,
):
    escalation = services.escalation_request_create(
        raised_by=community_manager, department=department, question="¿Avería?", mention_ids=[mention.pk]
    )
    return escalation, mention


@pytest.mark.parametrize(("name", "method", "url", "role", "expected"), CASES)
def test_route_answers_each_role_as_designed(client, request, world, name, method, url, role, expected):
    escalation, mention = world
    if role != ANON:
        client.force_login(request.getfixturevalue(role))
    payload = {
        "answer": {"text": "Avería resuelta"},
        "acknowledge": {"promised_at": promise_default()},
        "api_acknowledge": {"promised_at": (timezone.now() + timedelta(hours=1)).isoformat()},
        "api_answer": {"text": "Avería resuelta"},
        "mention_escalate": {"department": escalation.department_id, "question": "¿Plazo?"},
        "api_create": {
            "department": escalation.department.slug,
            "question": "¿Plazo?",
            "mention_ids": [mention.pk],
        },
    }.get(name, {})
    call = getattr(client, method)
    response = (
        call(url(escalation, mention), payload, content_type="application/json")
        if name.startswith("api_") and method == "post"
        else call(url(escalation, mention), payload)
    )
    assert response.status_code == expected
    if role == ANON and name in {"acknowledge", "answer", "close"}:
        assert EscalationRequest.objects.get(pk=escalation.pk).status == "open"


@pytest.mark.parametrize(
    ("role", "visible"),
    [(CM, 2), (HEAD_A, 1), (HEAD_B, 1), (DIRECTOR, 2), (ADMIN, 2)],
)
def test_lists_show_each_role_only_what_it_may_see(client, request, world, other_department, role, visible):
    escalation, _ = world
    other = services.escalation_request_create(
        raised_by=escalation.raised_by, department=other_department, question="¿Es legal?"
    )
    client.force_login(request.getfixturevalue(role))
    ids = {item["id"] for item in client.get("/api/escalations/").json()["results"]}
    desk = client.get(reverse("escalation:desk")).content.decode()
    assert len(ids) == visible
    expected = {HEAD_A: {escalation.pk}, HEAD_B: {other.pk}}.get(role, {escalation.pk, other.pk})
    assert ids == expected
    for item in (escalation, other):
        assert (f'id="escalation-{item.pk}"' in desk) == (item.pk in expected)
