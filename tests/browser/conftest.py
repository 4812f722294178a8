"""Browser tests: Debian's Chromium driven by Playwright against a real Daphne serving the test database.

The server runs as its own process with the Redis channel layer, so an event published by the test
(or by the server) reaches the browsers' websockets exactly as in production.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from django.conf import settings

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"



def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(extra_environment: dict[str, str] | None = None) -> Iterator[str]:
    """Serve the test database on a free port, with the deployment's environment plus `extra_environment`;
    yields the base URL."""
    from django.db import connection

    from tests import settings as test_settings

    database = connection.settings_dict
    port = _free_port()
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.server_settings",
        DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        REDIS_URL=test_settings.TEST_REDIS_URL,
        SECRET_KEY=settings.SECRET_KEY,
        DEBUG="1",
        SECURE_PRODUCTION="0",
        CELERY_TASK_ALWAYS_EAGER="1",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CSRF_TRUSTED_ORIGINS=f"http://127.0.0.1:{port}",
        CHANNEL_LAYER_PREFIX=settings.CHANNEL_LAYERS["default"]["CONFIG"].get("prefix", "asgi"),
        **(extra_environment or {}),
    )
    # The server's output goes to a file: a pipe nobody reads fills up with logged 4xx warnings and then
    # blocks the server mid-request.
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--no-demo", "--no-worker", "--port", str(port)],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base_url}/login/", timeout=1)
            break
        except httpx.HTTPError as error:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(log.read()) from error
            time.sleep(0.3)
    try:
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def console_server(django_db_setup, django_db_blocker):
    """The console as the stories see it; yields the base URL."""
    with serving() as base_url:
        yield base_url


@pytest.fixture(scope="session")
def chromium():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in a greenlet; Django's ORM refuses to run beside it
    # unless told that this thread is used synchronously only, which it is (browser tests run last).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                  "--no-first-run", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def login_as(chromium, console_server, transactional_db):
    """Open a fresh browser context logged in as the given user; screenshots go to test-artifacts/."""
    contexts = []

    def login(user, password: str = "secret-pass-123"):
        context = chromium.new_context(base_url=console_server, viewport={"width": 1366, "height": 860})
        contexts.append(context)
        page = context.new_page()
        page.goto("/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    yield login
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
