"""Escalating a whole crisis cluster (in the escalation app, which may import the inbox)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from escalation import services as escalation_services
from escalation.models import EscalationRequest
from inbox import services
from inbox.models import Channel, ClusterAction, Mention, MentionCluster
from tests.inbox.clusters_data import crisis_batch

pytestmark = [pytest.mark.django_db, pytest.mark.services]


@pytest.fixture
def cluster(db) -> MentionCluster:
    channel = Channel.objects.create(name="Sim", kind="simulator", brand="Telco")
    services.mentions_ingest(channel=channel, mentions=crisis_batch(complaints=20, others=0))
    return MentionCluster.objects.get(channel=channel)


def test_a_cluster_is_escalated_as_one_request_with_its_open_mentions(
    cluster, community_manager, department, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = escalation_services.cluster_escalate(
            cluster_id=cluster.pk, raised_by=community_manager, department=department, question="¿Hay avería?"
        )

    assert set(request.mentions.values_list("pk", flat=True)) == set(
        Mention.objects.filter(cluster=cluster).values_list("pk", flat=True)
    )
    action = ClusterAction.objects.get(cluster=cluster)
    assert (action.kind, action.total, action.results["request"]) == ("escalate", 20, request.pk)


def test_the_cluster_page_loads_the_form_and_a_department_head_cannot_escalate(
    cluster, client, community_manager, department_head, department
):
    client.force_login(community_manager)
    form = client.get(reverse("escalation:cluster_escalate", args=[cluster.pk]))
    assert form.status_code == 200 and 'name="department"' in form.content.decode()

    client.force_login(department_head)
    refused = client.post(
        reverse("escalation:cluster_escalate", args=[cluster.pk]), {"department": department.pk, "question": "?"}
    )
    assert refused.status_code == 403
    assert not EscalationRequest.objects.exists()
