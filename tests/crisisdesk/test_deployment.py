"""The full-stack deployment files are correct even though no Docker engine runs here."""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from django.conf import settings
from django.core.management import get_commands

COMPOSE = Path(settings.BASE_DIR) / "docker-compose.yml"
VENV_BIN = Path(sys.executable).parent


def _compose():
    return yaml.safe_load(COMPOSE.read_text())


def _executable_exists(name: str) -> bool:
    return (VENV_BIN / name).exists() or shutil.which(name) is not None


def _commands(service: dict) -> list[list[str]]:
    command = service.get("command")
    if command is None:
        return []
    parts = command if isinstance(command, list) else shlex.split(command)
    if parts[:2] == ["sh", "-c"]:
        return [shlex.split(piece) for piece in parts[2].split("&&")]
    return [parts]


def test_compose_defines_the_five_services_with_health_checks():
    services = _compose()["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://")
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_command_compose_names_exists():
    services = _compose()["services"]
    manage_commands = get_commands()
    for name in ("web", "worker", "beat"):
        for command in _commands(services[name]):
            assert _executable_exists(command[0]), f"{name}: {command[0]} is not installed"
            if command[:2] == ["python", "manage.py"]:
                assert command[2] in manage_commands, f"{name}: manage.py {command[2]} does not exist"
            if command[0] == "celery":
                assert command[1:3] == ["-A", "crisisdesk"]
                assert command[3] in {"worker", "beat"}
            if command[0] == "daphne":
                module, attribute = command[-1].split(":")
                assert module == "crisisdesk.asgi" and attribute == "application"


def test_worker_listens_on_every_queue_tasks_are_routed_to():
    worker = _compose()["services"]["worker"]["command"]
    queues = set(worker[worker.index("-Q") + 1].split(","))
    assert queues == set(settings.CELERY_QUEUES)


def test_production_settings_pass_the_deploy_check():
    env = {key: value for key, value in os.environ.items()
           if key not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="crisisdesk.settings",
        DATABASE_URL="postgres://crisisdesk@127.0.0.1:5432/crisisdesk",
        REDIS_URL="redis://127.0.0.1:6379/0",
        SECRET_KEY="a-production-like-secret-key-with-enough-length-and-variety-0123456789!@#",
        DEBUG="0",
        SECURE_PRODUCTION="1",
        ALLOWED_HOSTS="crisis.example.com",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_deployment_without_secret_key_refuses_to_start():
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY"}}
    env.update(DJANGO_SETTINGS_MODULE="crisisdesk.settings", DATABASE_URL="postgres://x@127.0.0.1/x")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
