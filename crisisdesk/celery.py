"""The Celery application: configuration comes from Django settings (CELERY_*)."""

import os
from functools import cached_property

from celery import Celery
from celery.app import backends
from kombu import Queue

from crisisdesk.queues import QUEUES

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
