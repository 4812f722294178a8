"""Fault tests run the real processes — Celery worker and beat, Daphne — against a database and a Redis
server of their own, so that killing, restarting or cutting them off never touches the shared servers.

* PostgreSQL: one migrated template (`crisisdesk_rel_template_<pid>`) per session; each test gets a copy
  (`crisisdesk_rel_<hex>`), dropped afterwards. Connections are cut only on that copy.
* Redis: each test starts its own `redis-server` on a free port (append-only file, fsync always, as a
  Celery broker must be configured), which the test may kill and start again on the same port.
* Processes run in their own process group; `kill -9` hits the whole group, as a crashed container would.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
TEMPLATE = f"crisisdesk_rel_template_{os.getpid()}"
SECRET = "reliability-tests-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
QUEUES = "default,ingest,triage,escalation,notify"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = "") -> Any:
    """Poll until `predicate()` is truthy and return its value; fail the test with `what` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what or predicate}")
        time.sleep(interval)


def _admin(sql: str) -> None:
    with closing(psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")) as conn:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(sql)


class Database:
    """A throw-away PostgreSQL database; `sql` reads it, `cut`/`restore` simulate losing the server."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.url = f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"

    def sql(self, query: str, params: tuple | list | None = None) -> list[tuple]:
        with closing(psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=self.name)) as conn:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(query, params)
                return cursor.fetchall() if cursor.description else []

    def scalar(self, query: str, params: tuple | list | None = None) -> Any:
        return self.sql(query, params)[0][0]

    def cut(self) -> int:
        """Refuse new connections and terminate every open one — to this database only."""
        _admin(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS false')
        with closing(psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres")) as conn:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [self.name],
                )
                return cursor.fetchone()[0]

    def restore(self) -> None:
        _admin(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS true')

    def drop(self) -> None:
        self.restore()
        _admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class RedisServer:
    """A private redis-server; `kill()` is a crash (SIGKILL), `start()` brings it back on the same port.
    `arguments` are added to its command line (`--replicaof 127.0.0.1 <port>` for a replica)."""

    def __init__(self, directory: Path, *, arguments: tuple[str, ...] = ()) -> None:
        self.directory = directory
        self.port = free_port()
        self.arguments = arguments
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.directory),
                "--daemonize",
                "no",
                "--logfile",
                str(self.directory / "redis.log"),
                *self.arguments,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(self.ping, timeout=10, interval=0.05, what="redis-server to answer")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


class Service:
    """One real process of the product (worker, beat, daphne) in its own process group, logging to a file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Service:
        with self.log.open("a") as log:
            log.write(f"\n--- start {time.strftime('%H:%M:%S')} ---\n")
            log.flush()
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill9(self) -> None:
        """SIGKILL the whole group: the main process and its pool children die without any cleanup."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if not self.alive:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill9()

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


class Stack:
    """The product's processes on one database and one Redis server."""

    def __init__(self, database: Database, redis: RedisServer, log_dir: Path, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.database = database
        self.redis = redis
        self.log_dir = log_dir
        self.services: list[Service] = []
        self.prefix = f"rel{uuid.uuid4().hex[:6]}"

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("TEST_DATABASE_URL", "TEST_REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
            env.pop(name, None)
        env.update(
            DJANGO_SETTINGS_MODULE="crisisdesk.settings",
            DATABASE_URL=self.database.url,
            REDIS_URL=self.redis.url(0),
            SECRET_KEY=SECRET,
            DEBUG="0",
            SECURE_PRODUCTION="0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CELERY_TASK_ALWAYS_EAGER="0",
            CHANNEL_LAYER_PREFIX=self.prefix,
            LOG_LEVEL="WARNING",
            CELERY_VISIBILITY_TIMEOUT="5",
            ESCALATION_NOTIFY_GRACE_SECONDS="8",
            TRIAGE_MODEL_TIER="0",
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            WEBHOOKS_ALLOW_PRIVATE="1",
            API_THROTTLE_USER="1000000/min",
            PYTHONPATH=str(ROOT),
            CRISISDESK_DATA_DIR=str(self.data_dir),
        )
        env.update(extra)
        return env

    def _add(self, name: str, command: list[str], **extra: str) -> Service:
        service = Service(name, command, self.env(**extra), self.log_dir)
        self.services.append(service)
        return service.start()

    def worker(self, name: str = "worker", *, concurrency: int = 2, **extra: str) -> Service:
        return self._add(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "crisisdesk",
                "worker",
                "-Q",
                QUEUES,
                "-c",
                str(concurrency),
                "-n",
                f"{name}-{self.prefix}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "WARNING",
            ],
            **extra,
        )

    def beat(self, name: str = "beat", **extra: str) -> Service:
        schedule = self.log_dir / f"{name}-schedule"
        return self._add(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "crisisdesk",
                "beat",
                "-s",
                str(schedule),
                "-l",
                "WARNING",
            ],
            **extra,
        )

    def daphne(self, name: str = "daphne", **extra: str) -> tuple[Service, str]:
        """One Daphne process on a free port."""
        port = free_port()
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "crisisdesk.asgi:application"]
        return self._listening(self._add(name, command, **extra), port)

    def serve(self, name: str, *, server: str, processes: int = 1, **extra: str) -> tuple[Service, str]:
        """The web as docker-compose runs it: `manage.py serve --no-worker` with `--server` and its processes."""
        port = free_port()
        command = [sys.executable, "manage.py", "serve", "--no-demo", "--no-worker", "--port", str(port)]
        command += ["--web-processes", str(processes), "--server", server]
        return self._listening(self._add(name, command, **extra), port)

    def _listening(self, service: Service, port: int) -> tuple[Service, str]:
        def answers() -> bool:
            if not service.alive:
                pytest.fail(f"{service.name} exited:\n{service.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_until(answers, timeout=60, what=f"{service.name} to listen")
        return service, f"http://127.0.0.1:{port}"

    def manage(self, code: str) -> Any:
        """Run Python inside Django on this stack's database; the code sets `result`, returned as JSON."""
        script = f"import json\nresult = None\n{code}\nprint('RESULT=' + json.dumps(result, default=str))\n"
        completed = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if completed.returncode != 0:
            pytest.fail(f"manage.py shell failed:\n{completed.stdout}\n{completed.stderr}")
        line = [line for line in completed.stdout.splitlines() if line.startswith("RESULT=")][-1]
        return json.loads(line.removeprefix("RESULT="))

    def celery_client(self):
        """A bare Celery client on this Redis: it enqueues by task name, exactly as beat or a view would."""
        from celery import Celery

        # Not the current app: shared tasks in this test process must keep running eagerly on the
        # test settings after this client is gone.
        app = Celery("reliability-client", broker=self.redis.url(0), set_as_current=False)
        app.conf.broker_transport_options = {"visibility_timeout": 5}
        app.conf.broker_connection_retry_on_startup = True
        return app

    def queue_lengths(self) -> dict[str, int]:
        import redis

        client = redis.Redis.from_url(self.redis.url(0))
        try:
            lengths = {queue: client.llen(queue) for queue in QUEUES.split(",")}
            lengths["unacked"] = client.hlen("unacked")
            return lengths
        finally:
            client.close()

    def stop_all(self) -> None:
        for service in reversed(self.services):
            service.kill9() if service.alive else None


@pytest.fixture(scope="session")
def template_database() -> Iterator[str]:
    """One migrated database per session; every test copies it in a fraction of a second."""
    _admin(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{TEMPLATE}"')
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="crisisdesk.settings",
        SECRET_KEY=SECRET,
        REDIS_URL="redis://127.0.0.1:1/0",
        DATABASE_URL=f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{TEMPLATE}",
        DEBUG="0",
        SECURE_PRODUCTION="0",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    yield TEMPLATE
    _admin(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """Production settings serve hashed static files: collect them once per session, as a deploy would."""
    directory = tmp_path_factory.mktemp("crisisdesk-data")
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="crisisdesk.settings",
        SECRET_KEY=SECRET,
        DEBUG="0",
        SECURE_PRODUCTION="0",
        DATABASE_URL=f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres",
        REDIS_URL="redis://127.0.0.1:1/0",
        CRISISDESK_DATA_DIR=str(directory),
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    return directory


@pytest.fixture
def own_database(template_database) -> Iterator[Database]:
    database = Database(f"crisisdesk_rel_{uuid.uuid4().hex[:10]}")
    _admin(f'CREATE DATABASE "{database.name}" TEMPLATE "{template_database}"')
    yield database
    database.drop()


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def stack(own_database, own_redis, data_dir, tmp_path, request) -> Iterator[Stack]:
    stack = Stack(own_database, own_redis, tmp_path, data_dir)
    yield stack
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    stack.stop_all()
    if failed:
        for service in stack.services:
            sys.stderr.write(f"\n===== {service.name} log =====\n{service.tail(80)}\n")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def webhook_items(*, count: int, prefix: str = "m", authors: int = 5000) -> list[dict]:
    """Mentions in the generic webhook's JSON shape, unique ids `<prefix><n>`, a spread of authors."""
    return [
        {
            "id": f"{prefix}{number}",
            "text": f"Sin servicio de fibra en Madrid desde esta mañana, incidencia {number}",
            "created_at": f"2026-03-02T{8 + number // 3_600_000 % 10:02d}:{number // 60000 % 60:02d}:"
            f"{number // 1000 % 60:02d}.{number % 1000:03d}+00:00",
            "author": {
                "id": f"a{number % authors}",
                "handle": f"cliente{number % authors}",
                "name": f"Cliente {number % authors}",
                "followers": number % 900,
            },
            "language": "es",
        }
        for number in range(count)
    ]


SEED_SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from crisisdesk.models import User
user, _ = User.objects.get_or_create(
    username={username!r}, defaults={{"role": {role!r}, "first_name": "Rel"}}
)
user.set_password("secret-pass-123"); user.save()
store = SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
session_key = store.session_key
"""


def seed_session(stack: Stack, *, username: str = "ana", role: str = "community_manager") -> str:
    """A logged-in session for `username`, made directly in the stack's database; returns the session key."""
    return stack.manage(SEED_SESSION.format(username=username, role=role) + "result = session_key\n")
