"""What the alert-routing tests share: an alert opened the way detection opens one, a route, chat posts."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from escalation import notifications
from playbooks import services
from playbooks.baselines import Baseline, Firing
from playbooks.models import Alert, AlertSignal

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SLACK_HOOK = "https://hooks.slack.com/services/T000/B000/" + "x" * 24
TEAMS_HOOK = "https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=" + "y" * 8
CARD_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "escalation" / "schemas" / "adaptive-card-1.5.json").read_text()
)
EXPLANATION = {
    "baseline": {"mean": 2.1, "std": 1.4, "source": "recent", "samples": 60},
    "now": {"observed": 24.6, "threshold": 15.0, "per_minute": [24.6, 24.6], "times_baseline": 11.7},
    "top_terms": ["fibra", "caída", "madrid"],
    "top_clusters": [{"id": 1, "text": "Caída de la fibra en Madrid", "in_window": 2, "mentions": 9, "reach": 10}],
    "top_topics": [],
    "sample_mentions": [
        {
            "id": 1, "text": "<b>Caída</b> total en Madrid", "handle": "famosa", "followers": 2_000_000,
            "engagement": 40_000,
        }
    ],
}


class ChatPosts:
    """The chat webhooks' side: every POST is kept; `fail` makes them answer 500 until cleared."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.fail = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(500 if self.fail else 200)

    def to(self, url: str) -> list[dict]:
        return [json.loads(request.content) for request in self.requests if str(request.url) == url]


@pytest.fixture
def chat(monkeypatch) -> ChatPosts:
    posts = ChatPosts()
    monkeypatch.setattr(
        notifications, "http_client", lambda: httpx.Client(transport=httpx.MockTransport(posts.handle))
    )
    return posts


def reach_firing(*, brand: str = "Telco", observed: float = 24.6) -> Firing:
    return Firing(
        brand=brand,
        signal=AlertSignal.REACH,
        topic="",
        observed=observed,
        baseline=Baseline(mean=2.1, std=1.4, samples=60, source="recent"),
        threshold=15.0,
        window=(T0 - timedelta(minutes=2), T0),
        window_values=(observed, observed),
    )


def alert_opened(*, capture, brand: str = "Telco", suggested_type: str = "technical", observed: float = 24.6) -> Alert:
    """Open an alert as detection does, running what it does after commit (sending)."""
    with capture(execute=True):
        return services.alert_open(
            firing=reach_firing(brand=brand, observed=observed),
            explanation=EXPLANATION,
            suggested_type=suggested_type,
            suggested_level=2,
            now=T0,
        )


def make_route(admin, *, people, departments=(), renotify=None, **values):
    """A Telco route to these people (and departments' on-call), by e-mail, Slack, Teams and the webhook."""
    fields = {
        "name": "Guardia de crisis", "brand": "Telco", "min_severity": 1, "min_level": 1, "crisis_types": [],
        "users": list(people), "departments": list(departments), "send_email": True, "emit_webhook_event": True,
        "renotify_minutes": 10, "renotify_times": 2, "renotify_users": list(renotify or []), "is_active": True,
        **values,
    }
    return services.alert_route_save(actor=admin, values=fields, slack_url=SLACK_HOOK, teams_url=TEAMS_HOOK)


def slack_secret() -> str:
    return secrets.token_hex(16)
