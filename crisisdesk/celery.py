"""The Celery application: configuration comes from Django settings (CELERY_*)."""

import os
from functools import cached_property

from celery import Celery
from celery.app import backends
from celery.signals import worker_process_init
from django.conf import settings
from kombu import Queue

from crisisdesk.queues import QUEUES

# How long a worker process keeps its database connection when DATABASE_CONN_MAX_AGE does not say.
WORKER_CONN_MAX_AGE = 60

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisdesk.settings")


class CrisisDeskCelery(Celery):
    """Celery, with the result backend's class found once per process.

    Celery keeps a result backend per thread (the Redis one is not thread-safe) and finds its class by
    scanning every installed package's entry points each time it builds one. Every web request runs in
    a thread of its own, so each task queued from a request paid that scan (py-spy on
    `POST /api/escalations/`: 7% of the request's CPU). The backend itself is still one per thread.
    """

    @cached_property
    def _backend_class_and_url(self):
        return backends.by_url(self.backend_cls or self.conf.result_backend, self.loader)

    def _get_backend(self):
        backend, url = self._backend_class_and_url
        return backend(app=self, url=url)


app = CrisisDeskCelery("crisisdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in QUEUES]
app.autodiscover_tasks()
app.autodiscover_tasks(related_name="triage_tasks")


@worker_process_init.connect
def worker_connections_persistent(**_: object) -> None:
    """A pool process runs task after task: it keeps one PostgreSQL connection instead of one per task.

    Django's default for the web (a connection per request, or the bounded pool of crisisdesk/dbpool)
    would start a PostgreSQL backend for every task: 19 % of ingest throughput with clustering on
    (bench/ingest.py, docs/PERFORMANCE.md). `DATABASE_CONN_MAX_AGE`, when set, is kept as it is.
    """
    if "DATABASE_CONN_MAX_AGE" in os.environ:
        return
    for database in settings.DATABASES.values():
        if database.get("ENGINE") == "django.db.backends.postgresql":
            database["CONN_MAX_AGE"] = WORKER_CONN_MAX_AGE
