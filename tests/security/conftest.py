"""A small world of real objects — one of everything a URL can point at — for the security tests.

Mentions in it are written by an attacker: their text, author name and handle and URL carry XSS
payloads, and the channel holds a credential whose value must never be shown anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from crisisdesk.models import User
from escalation.models import Department, HoldingLine
from escalation.services import escalation_request_create
from inbox.connectors.base import NormalizedAuthor, NormalizedMention
from inbox.credentials import credentials_encrypt
from inbox.models import Channel, ClusterAction, Mention, MentionCluster, Reply, ScheduledPost
from inbox.models_cases import Case, CaseDelivery
from inbox.services import mentions_ingest
from inbox.services.cases import case_open
from integrations.models import WebhookEndpoint
from playbooks.models import Alert, AlertRoute, Crisis, Drill, Playbook
from playbooks.services import (
    crisis_declare,
    drill_start,
    playbook_revision_propose,
    playbook_version_create,
    statement_submit,
)
from tests import factories
from tests.playbooks.conftest import technical_content

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
XSS_TEXT = f"Sin fibra {SCRIPT} y además {IMG} fin"
CHANNEL_SECRET = "sk-live-CHANNEL-SECRET-9f8e7d6c5b4a"
WEBHOOK_SECRET_LABEL = "webhook endpoint secret"


@dataclass
class World:
    community_manager: User
    department_head: User
    other_department_head: User
    director: User
    admin: User
    department: Department
    other_department: Department
    channel: Channel
    mention: Mention
    reply: Reply
    escalation_request: object
    crisis: Crisis
    playbook: Playbook
    alert: Alert
    statement: object
    revision: object
    webhook_endpoint: WebhookEndpoint
    cluster: MentionCluster
    cluster_action: ClusterAction
    holding_line: HoldingLine
    scheduled_post: ScheduledPost
    alert_route: AlertRoute
    case: Case
    case_delivery: CaseDelivery
    drill: Drill

    def users(self) -> dict[str, User | None]:
        return {
            "anonymous": None,
            "community_manager": self.community_manager,
            "head_of_a": self.department_head,
            "head_of_b": self.other_department_head,
            "director": self.director,
            "admin": self.admin,
        }


def hostile_mention(external_id: str = "xss-1") -> NormalizedMention:
    return NormalizedMention(
        external_id=external_id,
        text=XSS_TEXT,
        posted_at=timezone.now() - timedelta(minutes=1),
        author=NormalizedAuthor(
            external_id="attacker", handle=f"h{IMG}", display_name=f"Eve {SCRIPT}", followers=3
        ),
        url=JS_URL,
        language="es",
    )


@pytest.fixture
def world(
    community_manager,
    department_head,
    other_department_head,
    director,
    admin_user,
    department,
    other_department,
    django_capture_on_commit_callbacks,
) -> World:
    channel = Channel.objects.create(
        name="X Telco",
        kind="x",
        brand="Telco",
        base_url="https://api.x.example",
        config={"user_id": "42"},
        credentials_encrypted=credentials_encrypt({"bearer_token": CHANNEL_SECRET}),
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = mentions_ingest(channel=channel, mentions=[hostile_mention()])
    mention = Mention.objects.get(pk=report.created_ids[0])
    reply = Reply.objects.create(
        mention=mention, author=community_manager, body="Lo miramos", signature="— Ana"
    )
    with django_capture_on_commit_callbacks(execute=True):
        request = escalation_request_create(
            raised_by=community_manager,
            department=department,
            question=f"¿Qué pasa? {SCRIPT}",
            mention_ids=[mention.pk],
        )
    playbook = Playbook.objects.create(crisis_type="technical", level=2, name="Caída de red")
    playbook_version_create(playbook_id=playbook.pk, content=technical_content(), actor=None, note="v1")
    factories.UserFactory(username="luis", role="community_manager")
    with django_capture_on_commit_callbacks(execute=True):
        crisis = crisis_declare(
            actor=director,
            crisis_type="technical",
            level=2,
            title="Caída",
            brand="Telco",
            mention_ids=[mention.pk],
        )
        statement = statement_submit(crisis_id=crisis.pk, author=community_manager, body="Estamos en ello")
        revision = playbook_revision_propose(
            crisis_id=crisis.pk, actor=community_manager, case="Un caso", step_text="Un paso"
        )
    now = timezone.now()
    alert = Alert.objects.create(
        brand="Telco",
        signal="volume",
        severity=3,
        observed=50,
        baseline_mean=5,
        baseline_std=2,
        threshold=20,
        suggested_level=2,
        suggested_type="technical",
        started_at=now,
        last_seen_at=now,
    )
    endpoint = WebhookEndpoint.objects.create(
        name="Slack",
        url="https://hooks.example/x",
        events=["crisis.declared"],
        secret="whsec-ENDPOINT-SECRET-1234567890",
        created_by=admin_user,
    )
    cluster = MentionCluster.objects.get(pk=mention.cluster_id)
    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(actor=community_manager, mention_ids=[mention.pk], case_type="billing")
    case_delivery = CaseDelivery.objects.create(
        case=case, kind="private_reply", mention=mention, state="dead", last_error=SCRIPT, created_by=community_manager
    )
    cluster_action = ClusterAction.objects.create(
        cluster=cluster, kind="hide", actor=community_manager, body=SCRIPT, finished_at=now
    )
    return World(
        community_manager=community_manager,
        department_head=department_head,
        other_department_head=other_department_head,
        director=director,
        admin=admin_user,
        department=department,
        other_department=other_department,
        channel=channel,
        mention=mention,
        reply=reply,
        escalation_request=request,
        crisis=crisis,
        playbook=playbook,
        alert=alert,
        statement=statement,
        revision=revision,
        webhook_endpoint=endpoint,
        cluster=cluster,
        cluster_action=cluster_action,
        holding_line=HoldingLine.objects.create(department=department, topic="fibra", text=SCRIPT),
        scheduled_post=ScheduledPost.objects.create(
            channel=channel, body=XSS_TEXT, scheduled_at=now + timedelta(hours=2), status="pending",
            created_by=community_manager,
        ),
        alert_route=AlertRoute.objects.create(name=SCRIPT, brand="Telco"),
        case=case,
        case_delivery=case_delivery,
        drill=drill_start(actor=director, compression=10, crisis_id=crisis.pk),
    )
