"""The README's run command starts the embedded default: boot it as a user would and look at it."""

import contextlib
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from django.conf import settings

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_embedded_default_serves_login_and_reports_healthy(tmp_path):
    port = _free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG",
                          "SECURE_PRODUCTION"}}
    env["CRISISDESK_DATA_DIR"] = str(tmp_path)
    env["HEALTHZ_TOKEN"] = "embedded-monitoring-token"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 90
        health = None
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2,
                                   headers={"Authorization": "Bearer embedded-monitoring-token"})
                if health.status_code == 200:
                    break
            time.sleep(0.5)
        assert health is not None and health.status_code == 200, health.text if health else "no answer"
        assert health.json()["database"]["vendor"] == "sqlite"
        assert health.json()["channel_layer"]["backend"] == "InMemoryChannelLayer"
        login = httpx.get(f"http://127.0.0.1:{port}/login/", timeout=5)
        assert login.status_code == 200
        assert "csrfmiddlewaretoken" in login.text
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as browser:
            browser.get("/login/")
            response = browser.post(
                "/login/",
                data={"username": "ana", "password": "crisis-demo-2026",
                      "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
                headers={"Referer": f"http://127.0.0.1:{port}/login/"},
                follow_redirects=True,
            )
            assert response.status_code == 200
            assert str(response.url).endswith("/inbox/")
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert "Crisis Desk is running at" in output
    assert "ana      / crisis-demo-2026" in output
