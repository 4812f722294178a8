"""Crisis e-mails: the declaration notice to the people a playbook names, and executive summaries.

Both are recorded as `CrisisNotification` rows in the transaction that decides to send them and sent
after commit (`playbooks.notifications`), so a failed send is retried rather than lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisisdesk.audit import audit_record
from crisisdesk.models import Role, User
from crisisdesk.text import header_safe
from playbooks import notifications
from playbooks.content import content_clean
from playbooks.models import ACTIVE_CRISIS_STATUSES, Crisis, CrisisLevel, CrisisNotificationKind
from playbooks.services.common import display_name, users_named

SUMMARY_CADENCE: dict[int, timedelta] = {
    CrisisLevel.CRISIS: timedelta(hours=4),
    CrisisLevel.SEVERE: timedelta(hours=1),
}


def crisis_notify(*, crisis_id: int) -> int:
    """Email the people the playbook names about a declared crisis; returns how many went out now.

    Idempotent: the messages are recorded once per crisis (`playbooks.notifications`); one that
    fails stays recorded as failed and the beat retries it with backoff.
    """
    with transaction.atomic():
        crisis = Crisis.objects.select_for_update(no_key=True).filter(pk=crisis_id).first()
        if crisis is None or crisis.notified_at is not None:
            return 0
        content = content_clean(crisis.playbook_content)
        recipients = [
            user for user in users_named(content["notify"] + content["decision_makers"]) if user.email
        ]
        crisis.notified_at = timezone.now()
        crisis.save(update_fields=["notified_at"])
        notification_ids = notifications.crisis_notifications_record(
            crisis=crisis,
            kind=CrisisNotificationKind.DECLARED,
            recipients=recipients,
            subject=_crisis_subject(_("Crisis declared: %(title)s"), crisis),
            body=_crisis_brief(crisis),
        )
        audit_record(
            actor=None, verb="crisis.notify", target=crisis, data={"to": [user.pk for user in recipients]}
        )
    return notifications.crisis_notifications_send(notification_ids=notification_ids)


def _crisis_subject(template: str, crisis: Crisis) -> str:
    """A subject is a header: the title is folded onto one line, whatever the database holds."""
    return header_safe(template % {"title": header_safe(crisis.title)}, limit=255)


def _crisis_brief(crisis: Crisis) -> str:
    content = content_clean(crisis.playbook_content)
    items = list(crisis.checklist.order_by("position"))
    done = sum(1 for item in items if item.is_done)
    overdue = [item for item in items if not item.is_done and item.due_at and item.due_at < timezone.now()]
    lines = [
        f"{crisis.title}",
        _("Level: %(level)s · Type: %(type)s · Status: %(status)s")
        % {
            "level": crisis.get_level_display(),
            "type": crisis.get_crisis_type_display(),
            "status": crisis.get_status_display(),
        },
        _("Owner: %(owner)s") % {"owner": display_name(crisis.owner)},
        _("Checklist: %(done)s of %(total)s steps done, %(overdue)s overdue")
        % {"done": done, "total": len(items), "overdue": len(overdue)},
        _("Linked mentions: %(count)s") % {"count": crisis.mentions.count()},
        "",
        _("Holding statement:"),
        content["holding_statement"],
        "",
        f"{settings.PUBLIC_BASE_URL}/crises/{crisis.pk}/",
    ]
    return "\n".join(lines)


def _summary_due(crisis: Crisis, now: datetime) -> bool:
    cadence = SUMMARY_CADENCE.get(crisis.level)
    since = crisis.last_summary_at or crisis.declared_at or crisis.detected_at
    return cadence is not None and now >= since + cadence


def _summary_send(crisis: Crisis, now: datetime) -> None:
    """Under the caller's row lock: stamp the summary, then record the e-mails sent after commit."""
    directors = [user for user in User.objects.filter(role=Role.DIRECTOR, is_active=True) if user.email]
    crisis.last_summary_at = now
    crisis.save(update_fields=["last_summary_at"])
    audit_record(actor=None, verb="crisis.summary", target=crisis, data={"to": [user.pk for user in directors]})
    notifications.crisis_notifications_send_on_commit(
        notifications.crisis_notifications_record(
            crisis=crisis,
            kind=CrisisNotificationKind.SUMMARY,
            recipients=directors,
            subject=_crisis_subject(_("Executive summary: %(title)s"), crisis),
            body=_crisis_brief(crisis),
        )
    )


def crisis_summaries_send(*, now: datetime | None = None) -> list[int]:
    """Email directors a summary of each active crisis at its level's cadence. Safe to run twice.

    Level 2 every 4 hours, level 3 every hour, counted from the last summary (or the declaration).
    `last_summary_at` is set under the row lock before sending, so a concurrent run skips it.
    """
    now = now or timezone.now()
    skip_locked = connection.features.has_select_for_update_skip_locked
    sent = []
    candidates = Crisis.objects.filter(status__in=ACTIVE_CRISIS_STATUSES, level__in=list(SUMMARY_CADENCE))
    for crisis_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            crisis = Crisis.objects.select_for_update(no_key=True, skip_locked=skip_locked).filter(pk=crisis_id).first()
            if crisis is None or crisis.status not in ACTIVE_CRISIS_STATUSES or not _summary_due(crisis, now):
                continue
            _summary_send(crisis, now)
            sent.append(crisis.pk)
    return sent
