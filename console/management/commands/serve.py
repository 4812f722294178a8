"""Run the whole product in one process: web (Daphne), a Celery worker and beat, and the simulator.

This is the embedded default: with no configuration the broker is kombu's in-process memory
transport, so the worker must live in this process to see the tasks. With REDIS_URL (or REDIS_SENTINELS)
set, run web, worker and beat as separate processes instead (see docker-compose.yml); `--no-worker` serves
only the web part, and `--web-processes N` serves it from N processes (one core each) of the ASGI
server `--server` (or WEB_SERVER) names: Daphne, or uvicorn with uvloop and httptools, which served
more requests per core in `bench/asgi_servers.py` (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, cast

from celery.beat import EmbeddedService
from channels.routing import get_default_application
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from console.demo import demo_seed
from crisisdesk.celery import app

if TYPE_CHECKING:
    from celery.beat import _Threaded

logger = logging.getLogger(__name__)

EMBEDDED_PREFETCH = 64


class Command(BaseCommand):
    help = "Migrate, load the demo data and serve Crisis Desk with its worker and beat in one process."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo data.")
        parser.add_argument("--no-worker", action="store_true", help="Serve the web only (full stack).")
        parser.add_argument(
            "--web-processes",
            type=int,
            default=1,
            help="Web processes sharing the port (full stack only; the embedded mode is one process).",
        )
        parser.add_argument(
            "--server",
            choices=sorted(WEB_SERVERS),
            default=settings.WEB_SERVER,
            help="The ASGI server of the full stack's web processes (default: WEB_SERVER, else daphne).",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        no_demo: bool,
        no_worker: bool,
        web_processes: int,
        server: str,
        **options,
    ):
        if web_processes < 1:
            raise CommandError("--web-processes must be at least 1.")
        if server not in WEB_SERVERS:
            raise CommandError(f"Unknown web server {server!r}: choose one of {', '.join(sorted(WEB_SERVERS))}.")
        if server != "daphne" and settings.EMBEDDED:
            raise CommandError("The embedded mode serves with Daphne in its own process; set REDIS_URL for --server.")
        if web_processes > 1 and settings.EMBEDDED:
            # The in-memory channel layer and broker exist once per process: a second process would
            # neither see the worker's tasks nor deliver its events to the first one's websockets.
            raise CommandError("The embedded mode serves from one process; set REDIS_URL for --web-processes.")
        call_command("migrate", interactive=False, verbosity=0)
        logins = []
        if not no_demo:
            logins = demo_seed()
        if not no_worker:
            if not settings.EMBEDDED:
                self.stderr.write("Redis is configured: start the worker and beat as their own processes.")
            else:
                start_embedded_worker_and_beat()
        processes = f" from {web_processes} web processes" if web_processes > 1 else ""
        self.stdout.write(self.style.SUCCESS(f"\nCrisis Desk is running at http://{host}:{port}/{processes}"))
        if logins:
            self.stdout.write("Demo logins (username / password):")
            for username, password, role in logins:
                self.stdout.write(f"  {username:<8} / {password}   ({role})")
        self.stdout.flush()
        if web_processes == 1 and server == "daphne":
            serve_asgi(host=host, port=port)
        else:
            serve_asgi_processes(host=host, port=port, processes=web_processes, server=server)


def start_embedded_worker_and_beat() -> None:
    """A Celery worker and beat as daemon threads of this process, on the in-memory broker.

    One worker consumes every queue (kombu's memory transport does not serve two workers in one
    process); the model tier of triage is rate-limited in this mode (CELERY_TASK_ANNOTATIONS) so its
    slow batches never hold every thread while escalations wait.

    The worker takes up to EMBEDDED_PREFETCH messages at a time: its loop applies the acknowledgements
    only every 2 s once its prefetch is full, so four at a time (the deployment's one per process) held
    it to two tasks a second, less than its own beat sends. Nothing is shared with another worker here.
    """
    worker = app.WorkController(
        pool_cls="threads",
        concurrency=4,
        prefetch_multiplier=EMBEDDED_PREFETCH // 4,
        queues=list(settings.CELERY_QUEUES),
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
        loglevel="WARNING",
    )
    threading.Thread(target=worker.start, name="celery-worker", daemon=True).start()
    beat = cast(  # with thread=True it is always the threaded service
        "_Threaded",
        EmbeddedService(app, thread=True, schedule_filename=str(settings.DATA_DIR / "celerybeat-schedule")),
    )
    beat.start()


def serve_asgi(*, host: str, port: int) -> None:
    # why: importing daphne.server installs Twisted's asyncio reactor; only a process that serves may do that
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server  # why: as above, it installs the reactor on import

    Server(
        application=get_default_application(),
        endpoints=build_endpoint_description_strings(host=host, port=port),
        signal_handlers=True,
        verbosity=0,
    ).run()


def web_server_command(server: str, descriptor: int) -> list[str]:
    """The command of one web process serving the ASGI application on an inherited listening socket."""
    module, attribute = settings.ASGI_APPLICATION.rsplit(".", 1)
    return [sys.executable, "-m", *WEB_SERVERS[server], "--fd", str(descriptor), f"{module}:{attribute}"]


# Channels' router speaks no lifespan protocol, so uvicorn's is off (its "auto" would log a traceback).
WEB_SERVERS = {
    "daphne": ["daphne", "-v", "0"],
    "uvicorn": [
        "uvicorn",
        *("--loop", "uvloop", "--http", "httptools", "--ws", "websockets", "--lifespan", "off"),
        *("--ws-per-message-deflate", "false"),
        *("--no-access-log", "--log-level", "warning"),
    ],
}


def serve_asgi_processes(*, host: str, port: int, processes: int, server: str = "daphne") -> None:
    """Several web processes, each accepting on its own SO_REUSEPORT socket bound to the same address.

    The kernel spreads new connections evenly over the sockets, long-lived websockets included (with one
    shared listening socket, whichever process wakes first may take a whole burst). Every process uses the
    Redis channel layer, so a websocket on any of them receives every event. A process that dies is
    started again on its socket, whose pending connections wait in the backlog meanwhile; SIGTERM or
    SIGINT stops them all.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    for _ in range(processes):
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind((host, port))
        port = listener.getsockname()[1]  # port 0: the others join the port the first one got
        listener.listen(1024)
        sockets.append(listener)
    stopping = threading.Event()

    def start(listener: socket.socket) -> subprocess.Popen:
        descriptor = listener.fileno()
        return subprocess.Popen(web_server_command(server, descriptor), pass_fds=(descriptor,))

    def stop(signum, frame) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    children = [start(listener) for listener in sockets]
    while not stopping.wait(0.5):
        for index, child in enumerate(children):
            if child.poll() is not None:
                logger.error("Web process %d exited with %s; starting it again", child.pid, child.returncode)
                children[index] = start(sockets[index])
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)
