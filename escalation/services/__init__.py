"""Writes for escalation, one module per subdomain, re-exported here so callers keep one import.

- `requests`: raising a request, answering and closing it;
- `acknowledge`: acknowledging it with a promised answer time, and moving that time (a snooze);
- `links`, `link_actions`: the signed, expiring link to one request's phone page, and its single-use actions;
- `messages`: what a step's e-mail, Slack, Teams or plain chat message says;
- `chain`: the escalation chain's decisions as plain values (no ORM), unit-tested without a database;
- `sweep`: the beat sweeper and its guarded, exactly-once transitions;
- `delivery`: recording whom a step reaches, claiming, sending and resending its messages;
- `context`: the copy of the thread, author and crisis a request carries;
- `holding_lines`: a department's approved fallback answers per topic;
- `mail_addresses`, `mail_answers`, `mail_imap`: a reply to a notification e-mail as the answer
  (the reply address and Message-ID, the one service every inbound path calls, the IMAP poll).
- `slack_actions`: answering and acknowledging from a Slack modal, once per modal.
"""

from __future__ import annotations

from escalation.services.acknowledge import MAX_HOLDING_LINE_LENGTH, escalation_request_acknowledge
from escalation.services.chain import (
    BUILTIN_STEPS,
    NOTIFY_MAX_TRIES,
    NOTIFY_REPAIR_WINDOW,
    notification_retry_delay,
)
from escalation.services.clusters import cluster_escalate
from escalation.services.context import escalation_context
from escalation.services.delivery import escalation_notification_resend, escalation_step_notify
from escalation.services.holding_lines import holding_line_approve, holding_line_create, holding_line_retire
from escalation.services.link_actions import escalation_link_acknowledge, escalation_link_answer
from escalation.services.links import (
    LinkGrant,
    LinkRefused,
    link_actor,
    link_used_actions,
    request_link_read,
    request_link_url,
)
from escalation.services.mail_answers import MailOutcome, MailRefused, mail_answer_receive
from escalation.services.mail_imap import PollReport, mail_answers_poll
from escalation.services.requests import (
    MAX_ANSWER_LENGTH,
    MAX_QUESTION_LENGTH,
    EscalationError,
    EscalationPermissionError,
    drill_requests_close,
    escalation_answer_create,
    escalation_request_close,
    escalation_request_create,
    policy_snapshot,
)
from escalation.services.slack_actions import (
    escalation_slack_acknowledge,
    escalation_slack_answer,
    escalation_slack_message_replace,
)
from escalation.services.sweep import SWEEP_BATCH, SweepReport, escalations_sweep

__all__ = [
    "drill_requests_close",
    "BUILTIN_STEPS",
    "MAX_ANSWER_LENGTH",
    "MAX_HOLDING_LINE_LENGTH",
    "MAX_QUESTION_LENGTH",
    "NOTIFY_MAX_TRIES",
    "NOTIFY_REPAIR_WINDOW",
    "SWEEP_BATCH",
    "EscalationError",
    "EscalationPermissionError",
    "LinkGrant",
    "LinkRefused",
    "MailOutcome",
    "MailRefused",
    "PollReport",
    "SweepReport",
    "cluster_escalate",
    "escalation_answer_create",
    "escalation_context",
    "escalation_link_acknowledge",
    "escalation_link_answer",
    "escalation_notification_resend",
    "escalation_request_acknowledge",
    "escalation_request_close",
    "escalation_request_create",
    "escalation_slack_acknowledge",
    "escalation_slack_answer",
    "escalation_slack_message_replace",
    "escalation_step_notify",
    "escalations_sweep",
    "holding_line_approve",
    "holding_line_create",
    "holding_line_retire",
    "link_actor",
    "link_used_actions",
    "mail_answer_receive",
    "mail_answers_poll",
    "notification_retry_delay",
    "policy_snapshot",
    "request_link_read",
    "request_link_url",
]
