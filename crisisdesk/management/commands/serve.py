"""Run the whole product in one process: web (Daphne), a Celery worker and beat, and the simulator.

This is the embedded default: with no configuration the broker is kombu's in-process memory
transport, so the worker must live in this process to see the tasks. With REDIS_URL set, run
web, worker and beat as separate processes instead (see docker-compose.yml); `--no-worker` serves
only the web part.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Migrate, load the demo data and serve Crisis Desk with its worker and beat in one process."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo data.")
        parser.add_argument("--no-worker", action="store_true", help="Serve the web only (full stack).")

    def handle(self, *args, host: str, port: int, no_demo: bool, no_worker: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        logins = []
        if not no_demo:
            from crisisdesk.demo import demo_seed

            logins = demo_seed()
        if not no_worker:
            if not settings.EMBEDDED:
                self.stderr.write("REDIS_URL is set: start the worker and beat as their own processes.")
            else:
                start_embedded_worker_and_beat()
        self.stdout.write(self.style.SUCCESS(f"\nCrisis Desk is running at http://{host}:{port}/"))
        if logins:
            self.stdout.write("Demo logins (username / password):")
            for username, password, role in logins:
                self.stdout.write(f"  {username:<8} / {password}   ({role})")
        self.stdout.flush()
        serve_asgi(host=host, port=port)


def start_embedded_worker_and_beat() -> None:
    """A Celery worker and beat as daemon threads of this process, on the in-memory broker.

    One worker consumes every queue (kombu's memory transport does not serve two workers in one
    process); the model tier of triage is rate-limited in this mode (CELERY_TASK_ANNOTATIONS) so its
    slow batches never hold every thread while escalations wait.
    """
    from celery.beat import EmbeddedService

    from crisisdesk.celery import app

    worker = app.WorkController(
        pool_cls="threads",
        concurrency=4,
        queues=list(settings.CELERY_QUEUES),
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
        loglevel="WARNING",
    )
    threading.Thread(target=worker.start, name="celery-worker", daemon=True).start()
    beat = EmbeddedService(app, thread=True, schedule_filename=str(settings.DATA_DIR / "celerybeat-schedule"))
    beat.start()


def serve_asgi(*, host: str, port: int) -> None:
    from channels.routing import get_default_application
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server

    Server(
        application=get_default_application(),
        endpoints=build_endpoint_description_strings(host=host, port=port),
        signal_handlers=True,
        verbosity=0,
    ).run()
