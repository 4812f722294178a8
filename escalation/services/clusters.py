"""Escalating a whole crisis cluster to a department: one request carrying the cluster's open mentions.

It lives here, not in the inbox, because the inbox imports neither escalation nor playbooks.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import User
from escalation.models import Department, EscalationRequest
from escalation.services.requests import EscalationError, escalation_request_create
from inbox.models import OPEN_STATUSES, ClusterAction, ClusterActionKind, Mention, MentionCluster

MAX_CLUSTER_MENTIONS = 500


def cluster_escalate(
    *,
    cluster_id: int,
    raised_by: User,
    department: Department,
    question: str,
    due_at: datetime | None = None,
) -> EscalationRequest:
    """Raise one request to `department` with the cluster's open, visible mentions (the latest 500).

    Recorded as a `ClusterAction` ("escalate") with the request's id, and audited as "cluster.escalate".
    Raises EscalationError, writing nothing, when the cluster does not exist or has no open mention.
    """
    cluster = MentionCluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        raise EscalationError(_("That cluster does not exist."))
    mention_ids = list(
        Mention.objects.filter(cluster=cluster, status__in=OPEN_STATUSES, is_hidden=False)
        .order_by("-received_at", "-pk")
        .values_list("pk", flat=True)[:MAX_CLUSTER_MENTIONS]
    )
    if not mention_ids:
        raise EscalationError(_("The cluster has no open mention to escalate."))
    with transaction.atomic():
        request = escalation_request_create(
            raised_by=raised_by, department=department, question=question, mention_ids=mention_ids, due_at=due_at
        )
        action = ClusterAction.objects.create(
            cluster=cluster,
            kind=ClusterActionKind.ESCALATE,
            actor=raised_by,
            body=question,
            total=len(mention_ids),
            sent=len(mention_ids),
            results={"request": request.pk, "department": department.slug},
            finished_at=timezone.now(),
        )
        audit_record(
            actor=raised_by,
            verb="cluster.escalate",
            target=cluster,
            data={"action": action.pk, "request": request.pk, "mentions": len(mention_ids)},
        )
    return request
