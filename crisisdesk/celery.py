"""The Celery application: configuration comes from Django settings (CELERY_*)."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisdesk.settings")

app = Celery("crisisdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "ingest", "triage", "escalation", "notify")]
app.autodiscover_tasks()
app.autodiscover_tasks(related_name="triage_tasks")
