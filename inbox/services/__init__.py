"""Writes for the inbox: the ingestion pipeline, channel polling, and what community managers do.

One module per part (`common`, `sql`, `ingest`, `intake`, `polling`, `assignment`, `moderation`,
`replies`, `retention`, `approval_gate` and `approvals`, `cases` and their outbox `case_deliveries`); every public
name is importable from here, as callers always have.
"""

from inbox.services.approval_gate import reply_approval_need
from inbox.services.approvals import (
    ApprovalAlreadyDecided,
    ApprovalConflict,
    approval_rule_update,
    reply_approvals_expire,
    reply_approve,
    reply_reject,
)
from inbox.services.assignment import (
    mention_assign,
    mention_take_over,
    mentions_auto_assign,
    mentions_return_unanswered,
)
from inbox.services.case_deliveries import (
    CASE_DELIVERY_MAX_ATTEMPTS,
    case_deliveries_due,
    case_delivery_attempt,
    case_delivery_backoff,
)
from inbox.services.cases import (
    CaseError,
    case_delivery_retry,
    case_number_next,
    case_open,
    case_private_reply_queue,
    case_status_set,
)
from inbox.services.common import (
    CLAIM_LEASE,
    INTAKE_MAX_ATTEMPTS,
    LIVE_EVENT_MENTIONS,
    MAX_BACKOFF_SECONDS,
    REPLAY_WINDOW,
    REPLY_MAX_ATTEMPTS,
    InboxError,
    IngestReport,
    MentionNotFound,
    ReplyDeliveryFailed,
    assign_cap,
    dead_letters_record,
    return_after,
)
from inbox.services.ingest import mentions_ingest
from inbox.services.intake import (
    intake_process,
    intake_receive,
    intakes_prune,
    intakes_requeue_stale,
    mentions_ingest_batch,
)
from inbox.services.moderation import (
    mention_close,
    mention_hide,
    mention_network_hide_sync,
    mention_reopen,
    mention_reply_anyway,
    mention_unhide,
    mentions_network_hide_sweep,
)
from inbox.services.polling import channel_failure_record, channel_poll, channels_claim_due
from inbox.services.replies import (
    replies_send_due,
    reply_cancel,
    reply_queue,
    reply_refusal,
    reply_retry,
    reply_send,
    reply_send_later,
    reply_undo_window,
    signature_render,
)
from inbox.services.retention import (
    ArchiveVerificationFailed,
    mentions_archivable,
    mentions_archive,
    mentions_archive_due,
    retention_cutoff,
)

__all__ = [
    "CASE_DELIVERY_MAX_ATTEMPTS",
    "ApprovalAlreadyDecided",
    "ApprovalConflict",
    "approval_rule_update",
    "reply_approval_need",
    "reply_approvals_expire",
    "reply_approve",
    "reply_reject",
    "CLAIM_LEASE",
    "CaseError",
    "case_deliveries_due",
    "case_delivery_attempt",
    "case_delivery_backoff",
    "case_delivery_retry",
    "case_number_next",
    "case_open",
    "case_private_reply_queue",
    "case_status_set",
    "INTAKE_MAX_ATTEMPTS",
    "LIVE_EVENT_MENTIONS",
    "MAX_BACKOFF_SECONDS",
    "REPLAY_WINDOW",
    "REPLY_MAX_ATTEMPTS",
    "InboxError",
    "IngestReport",
    "MentionNotFound",
    "ReplyDeliveryFailed",
    "assign_cap",
    "channel_failure_record",
    "channel_poll",
    "channels_claim_due",
    "dead_letters_record",
    "intake_process",
    "intake_receive",
    "intakes_prune",
    "intakes_requeue_stale",
    "mention_assign",
    "mention_close",
    "mention_hide",
    "mention_network_hide_sync",
    "mentions_network_hide_sweep",
    "mention_reply_anyway",
    "mention_reopen",
    "mention_take_over",
    "mention_unhide",
    "mentions_auto_assign",
    "mentions_ingest",
    "mentions_ingest_batch",
    "mentions_return_unanswered",
    "replies_send_due",
    "reply_cancel",
    "reply_queue",
    "reply_refusal",
    "reply_retry",
    "reply_send",
    "reply_send_later",
    "reply_undo_window",
    "return_after",
    "ArchiveVerificationFailed",
    "mentions_archivable",
    "mentions_archive",
    "mentions_archive_due",
    "retention_cutoff",
    "signature_render",
]
