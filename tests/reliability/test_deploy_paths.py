"""Both documented deployment paths work with DEBUG=0: the README's commands and compose's healthchecks.

The commands are read from README.md ("or by hand" in "Full stack") and docker-compose.yml and run as
written, on a new PostgreSQL database and a private redis-server, with the environment a deployment sets.
Only the executables are resolved (`python` is this interpreter, `celery` this virtualenv's). The web sits
behind a TLS-terminating proxy, as the README says: requests carry `X-Forwarded-Proto: https` as the
proxy would add it, except the probes, which ask /healthz over plain http as compose's healthcheck does.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml
from websockets.sync.client import connect as websocket_connect

from tests.reliability.conftest import ROOT, SECRET, Database, RedisServer, Service, _admin, wait_until

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(900)]

README = ROOT / "README.md"
COMPOSE = ROOT / "docker-compose.yml"
VENV_BIN = Path(sys.executable).parent
BASE_URL = "http://127.0.0.1:8000"  # where `serve` listens by default and compose's healthcheck asks
PROXY = {"X-Forwarded-Proto": "https"}
PASSWORD = "deploy-pass-2026-x"
ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")
DAEMONS = (("python", "manage.py", "serve"), ("celery", "-A", "crisisdesk"))


def readme_by_hand_commands() -> list[str]:
    """The command lines after "# or by hand" in the Full stack section's code block."""
    section = README.read_text().split("## Full stack", 1)[1]
    block = section.split("```", 2)[1].splitlines()
    start = next(index for index, line in enumerate(block) if line.startswith("# or by hand"))
    return [line.strip() for line in block[start + 1 :] if line.strip() and not line.lstrip().startswith("#")]


def executable(name: str) -> str:
    if name == "python":
        return sys.executable
    local = VENV_BIN / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def parse(command: str) -> tuple[dict[str, str], list[str]]:
    """`A=1 B=2 prog args` → ({"A": "1", "B": "2"}, [prog, args]), as a POSIX shell reads it."""
    words = shlex.split(command)
    assignments: dict[str, str] = {}
    while words and ASSIGNMENT.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        assignments[name] = value
    return assignments, words


def is_daemon(argv: list[str]) -> bool:
    return any(tuple(argv[: len(prefix)]) == prefix for prefix in DAEMONS)


def compose_healthcheck(service: str) -> tuple[list[str], float]:
    """A compose service's healthcheck as argv (the words after CMD) and its timeout in seconds."""
    check = yaml.safe_load(COMPOSE.read_text())["services"][service]["healthcheck"]
    test = check["test"]
    assert test[0] == "CMD", f"{service}: only exec-form healthchecks are run here"
    return list(test[1:]), float(check["timeout"].removesuffix("s"))


@dataclass
class Deployment:
    env: dict[str, str]
    services: list[Service] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)

    def run(self, argv: list[str], *, extra: dict[str, str] | None = None, timeout: float = 300):
        return subprocess.run(
            [executable(argv[0]), *argv[1:]],
            cwd=ROOT,
            env={**self.env, **(extra or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def log(self) -> str:
        return "\n".join(f"===== {service.name} =====\n{service.tail(40)}" for service in self.services)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as serve binds: TIME_WAIT is no owner
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    if not port_is_free(8000):
        pytest.fail("port 8000 is taken: the README's `serve` and compose's healthcheck use it; stop what holds it")
    directory = tmp_path_factory.mktemp("deployment")
    database = Database(f"crisisdesk_deploy_{uuid.uuid4().hex[:10]}")
    _admin(f'CREATE DATABASE "{database.name}"')  # empty: `serve` must migrate it
    redis = RedisServer(directory / "redis")
    redis.start()
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "DEBUG",
            "SECURE_PRODUCTION",
            "TEST_DATABASE_URL",
            "TEST_REDIS_URL",
            "CHANNEL_LAYER_PREFIX",
            "CELERY_TASK_ALWAYS_EAGER",
        }
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database.url,
        REDIS_URL=redis.url(0),
        CRISISDESK_DATA_DIR=str(directory / "data"),  # STATIC_ROOT and beat's schedule live here
        PYTHONPATH=str(ROOT),  # this tree's code, as an installed package would be
        LOG_LEVEL="WARNING",
    )
    deployment = Deployment(env=env)
    try:
        for command in readme_by_hand_commands():
            assignments, argv = parse(command)
            if is_daemon(argv):
                service = Service(
                    f"{argv[0]}-{len(deployment.services)}",
                    [executable(argv[0]), *argv[1:]],
                    {**env, **assignments},
                    directory,
                )
                deployment.services.append(service.start())
            else:
                result = deployment.run(argv, extra=assignments)
                assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            deployment.ran.append(command)

        def listening() -> bool:
            for service in deployment.services:
                if not service.alive:
                    pytest.fail(f"{service.name} exited:\n{service.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", 8000), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_until(listening, timeout=180, what="the web to listen on 127.0.0.1:8000 (after its migrate)")
        yield deployment
    finally:
        for service in reversed(deployment.services):
            service.stop()
        redis.kill()
        database.drop()


def users_create(deployment: Deployment) -> None:
    code = (
        "from crisisdesk.models import User\n"
        "for username, role in (('ana', 'community_manager'), ('elena', 'director')):\n"
        "    user, _ = User.objects.get_or_create(username=username, defaults={'role': role})\n"
        f"    user.set_password({PASSWORD!r}); user.save()\n"
    )
    result = deployment.run(["python", "manage.py", "shell", "-c", code])
    assert result.returncode == 0, result.stderr


def set_cookies(response: httpx.Response) -> dict[str, str]:
    cookies = {}
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]
    return cookies


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


def log_in(http: httpx.Client, username: str) -> dict[str, str]:
    """Log in through the login form, as a browser behind the proxy; returns the cookies it holds."""
    form = http.get("/login/", headers=PROXY)
    assert form.status_code == 200, form.text[:500]
    cookies = set_cookies(form)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = http.post(
        "/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD},
        headers={**PROXY, **cookie_header(cookies), "Referer": "https://127.0.0.1:8000/login/"},
    )
    assert answer.status_code == 302, (answer.status_code, answer.text[:500])
    cookies.update(set_cookies(answer))
    assert "sessionid" in cookies
    return cookies


def static_references(html: str) -> list[str]:
    references = re.findall(r'<link[^>]+href="([^"]+)"', html) + re.findall(r'<script[^>]+src="([^"]+)"', html)
    return [reference for reference in references if reference.startswith("/")]


def test_the_readme_commands_serve_the_login_inbox_and_dashboard_with_their_static_files(deployment):
    # Given the stack started with the README's commands (collectstatic among them), on a new database
    users_create(deployment)
    http = httpx.Client(base_url=BASE_URL, timeout=30)

    # When a community manager and a director log in behind the proxy and open their pages
    pages = {"/login/": http.get("/login/", headers=PROXY)}
    ana = log_in(http, "ana")
    pages["/inbox/"] = http.get("/inbox/", headers={**PROXY, **cookie_header(ana)})
    elena = log_in(http, "elena")
    pages["/dashboard/"] = http.get("/dashboard/", headers={**PROXY, **cookie_header(elena)})

    # Then every page answers 200 (not the 500 of a missing static manifest) with its hashed static files
    for path, response in pages.items():
        assert response.status_code == 200, (path, response.status_code, response.text[:300], deployment.log())
        references = static_references(response.text)
        assert references, f"{path} links no static file"
        for reference in references:
            assert re.search(r"\.[0-9a-f]{12}\.(css|js|svg)$", reference), f"{path}: {reference} is not hashed"
            asset = http.get(reference, headers=PROXY)
            assert asset.status_code == 200, (path, reference, asset.status_code)
            assert asset.headers["content-type"].split(";")[0] in {
                "text/css",
                "text/javascript",
                "application/javascript",
                "image/svg+xml",
            }, reference
    # And without the proxy's header a page is sent to https, as DEBUG=0 means
    plain = http.get("/login/")
    assert plain.status_code == 301 and plain.headers["location"].startswith("https://"), plain.headers


def test_the_compose_healthchecks_pass_against_that_deployment(deployment):
    # Given the same stack with consoles connected: live sockets open in the web processes
    users_create(deployment)
    http = httpx.Client(base_url=BASE_URL, timeout=30)
    ana = log_in(http, "ana")
    sockets = [
        websocket_connect(
            "ws://127.0.0.1:8000/ws/console/",
            open_timeout=10,
            additional_headers={**cookie_header(ana), "Origin": BASE_URL},
        )
        for _ in range(6)
    ]
    try:
        for live in sockets:
            assert '"hello"' in live.recv(timeout=10)
        # and the worker's first heartbeat arrived (beat sends one every 10 s)
        wait_until(
            lambda: http.get("/healthz").status_code == 200,
            timeout=120,
            interval=1,
            what="/healthz to answer 200 once the worker's heartbeat arrived",
        )

        # When compose's healthchecks run as written: the web's urlopen over plain http, the worker's ping
        web_check, web_timeout = compose_healthcheck("web")
        web = deployment.run(web_check, timeout=web_timeout)
        worker_check, worker_timeout = compose_healthcheck("worker")
        worker = deployment.run(worker_check, timeout=worker_timeout)
    finally:
        for live in sockets:
            live.close()

    # Then both pass
    assert web.returncode == 0, web.stdout + web.stderr
    assert worker.returncode == 0, worker.stdout + worker.stderr
    assert "pong" in worker.stdout
    # and /healthz over plain http answers itself rather than redirecting, telling a stranger only ok
    assert http.get("/healthz").json() == {"status": "ok"}
