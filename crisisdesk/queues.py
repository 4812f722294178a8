"""The Celery queues, listed once: the settings route tasks to them and every worker serves them.

A task's queue follows from the first part of its name, so `notify.reply_send` runs on `notify`;
the few exceptions are named in full.
Plain data with no imports, because both the settings and the Celery app read it at import time.
"""

QUEUES: tuple[str, ...] = ("default", "ingest", "triage", "escalation", "notify")
TASK_ROUTES: dict[str, dict[str, str]] = {
    # The intake sweeper must not wait behind the very backlog it watches.
    "inbox.intakes_requeue_stale": {"queue": "default"},
    "inbox.intakes_prune": {"queue": "default"},
    "inbox.clusters_fold": {"queue": "default"},
    "inbox.*": {"queue": "ingest"},
    "triage.*": {"queue": "triage"},
    "escalation.*": {"queue": "escalation"},
    "notify.*": {"queue": "notify"},
    "playbooks.*": {"queue": "escalation"},
}
