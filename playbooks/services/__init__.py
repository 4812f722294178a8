"""Writes for crises, alerts, statements, playbooks, drills, scheduled posts and publishing suspensions, one module
per subdomain.

Every state change locks its row, writes a timeline entry and an audit record in the same
transaction, and pushes live events only after commit (`playbooks.events`). Callers import this
package (`from playbooks import services`); the modules are its layout, not its interface.
"""

from playbooks.errors import (
    CrisisError,
    CrisisForbidden,
    CrisisNotFound,
    OutboxError,
    OutboxForbidden,
    OutboxNotFound,
    PostTimePassed,
)
from playbooks.services.alert_routes import AlertRouteError, alert_route_delete, alert_route_save
from playbooks.services.alert_routing import (
    ALERT_NOTIFICATIONS_SEND_TASK,
    alert_notifications_send,
    alert_route,
    alert_routes_matching,
    alerts_renotify,
)
from playbooks.services.alerts import ALERT_QUIET, alert_acknowledge, alert_open, alerts_close_quiet
from playbooks.services.checklist import checklist_item_assign, checklist_item_set, checklist_level_steps_add
from playbooks.services.checklist_reminders import ESCALATE_AFTER, REMIND_BEFORE, checklist_chase
from playbooks.services.common import DECLARERS, PLAYBOOK_EDITORS, users_named
from playbooks.services.crises import (
    CRISIS_NOTIFY_TASK,
    crisis_contain,
    crisis_declare,
    crisis_level_change,
    crisis_resolve,
    crisis_status_set,
    playbook_version_current,
)
from playbooks.services.digest import weekly_digest_deliver, weekly_digest_record, weekly_digest_send
from playbooks.services.drills import (
    DRILL_LEADS,
    crisis_window,
    drill_end,
    drill_feed,
    drill_source_mentions,
    drill_start,
    drills_advance,
)
from playbooks.services.incident_roles import crisis_role_assign, crisis_role_put, crisis_role_unassign
from playbooks.services.posts import (
    POST_PUBLISH_TASK,
    PUBLISHERS,
    scheduled_post_approve,
    scheduled_post_cancel,
    scheduled_post_create,
    scheduled_post_edit,
    scheduled_post_publish,
    scheduled_post_submit,
    scheduled_posts_publish_due,
)
from playbooks.services.revisions import (
    crisis_review_complete,
    playbook_revision_accept,
    playbook_revision_propose,
    playbook_revision_propose_for_drill,
    playbook_revision_reject,
    playbook_version_create,
    revision_apply,
    revision_preview,
)
from playbooks.services.statements import statement_decide, statement_publish, statement_submit
from playbooks.services.summaries import SUMMARY_CADENCE, crisis_notify, crisis_summaries_send
from playbooks.services.suspension import publishing_resume, publishing_suspend, scheduled_post_release
from playbooks.services.timeline import crisis_event_add

__all__ = [
    "ALERT_NOTIFICATIONS_SEND_TASK",
    "ALERT_QUIET",
    "AlertRouteError",
    "alert_acknowledge",
    "alert_notifications_send",
    "alert_route",
    "alert_route_delete",
    "alert_route_save",
    "alert_routes_matching",
    "alerts_renotify",
    "CRISIS_NOTIFY_TASK",
    "DECLARERS",
    "DRILL_LEADS",
    "crisis_window",
    "drill_end",
    "drill_feed",
    "drill_source_mentions",
    "drill_start",
    "drills_advance",
    "playbook_revision_propose_for_drill",
    "PLAYBOOK_EDITORS",
    "SUMMARY_CADENCE",
    "CrisisError",
    "CrisisForbidden",
    "CrisisNotFound",
    "OutboxError",
    "OutboxForbidden",
    "OutboxNotFound",
    "POST_PUBLISH_TASK",
    "PUBLISHERS",
    "PostTimePassed",
    "alert_open",
    "alerts_close_quiet",
    "ESCALATE_AFTER",
    "REMIND_BEFORE",
    "checklist_chase",
    "checklist_item_assign",
    "checklist_item_set",
    "checklist_level_steps_add",
    "crisis_role_assign",
    "crisis_role_put",
    "crisis_role_unassign",
    "crisis_contain",
    "crisis_declare",
    "crisis_event_add",
    "crisis_level_change",
    "crisis_notify",
    "crisis_resolve",
    "crisis_review_complete",
    "crisis_status_set",
    "crisis_summaries_send",
    "playbook_revision_accept",
    "playbook_revision_propose",
    "playbook_revision_reject",
    "playbook_version_create",
    "playbook_version_current",
    "revision_apply",
    "revision_preview",
    "publishing_resume",
    "publishing_suspend",
    "scheduled_post_approve",
    "scheduled_post_cancel",
    "scheduled_post_create",
    "scheduled_post_edit",
    "scheduled_post_publish",
    "scheduled_post_release",
    "scheduled_post_submit",
    "scheduled_posts_publish_due",
    "statement_decide",
    "statement_publish",
    "statement_submit",
    "users_named",
    "weekly_digest_deliver",
    "weekly_digest_record",
    "weekly_digest_send",
]
