"""Writes for escalation, one module per subdomain, re-exported here so callers keep one import.

- `requests`: raising a request, acknowledging, answering and closing it;
- `chain`: the escalation chain's decisions as plain values (no ORM), unit-tested without a database;
- `sweep`: the beat sweeper and its guarded, exactly-once transitions;
- `delivery`: recording whom a step reaches, claiming, sending and resending its messages;
- `context`: the copy of the thread, author and crisis a request carries.
"""

from __future__ import annotations

from escalation.services.chain import (
    BUILTIN_STEPS,
    NOTIFY_MAX_TRIES,
    NOTIFY_REPAIR_WINDOW,
    notification_retry_delay,
)
from escalation.services.clusters import cluster_escalate
from escalation.services.context import escalation_context
from escalation.services.delivery import escalation_notification_resend, escalation_step_notify
from escalation.services.requests import (
    MAX_ANSWER_LENGTH,
    MAX_QUESTION_LENGTH,
    EscalationError,
    EscalationPermissionError,
    escalation_answer_create,
    escalation_request_acknowledge,
    escalation_request_close,
    escalation_request_create,
    policy_snapshot,
)
from escalation.services.sweep import SWEEP_BATCH, SweepReport, escalations_sweep

__all__ = [
    "BUILTIN_STEPS",
    "MAX_ANSWER_LENGTH",
    "MAX_QUESTION_LENGTH",
    "NOTIFY_MAX_TRIES",
    "NOTIFY_REPAIR_WINDOW",
    "SWEEP_BATCH",
    "EscalationError",
    "EscalationPermissionError",
    "SweepReport",
    "cluster_escalate",
    "escalation_answer_create",
    "escalation_context",
    "escalation_notification_resend",
    "escalation_request_acknowledge",
    "escalation_request_close",
    "escalation_request_create",
    "escalation_step_notify",
    "escalations_sweep",
    "notification_retry_delay",
    "policy_snapshot",
]
