"""With LOG_FORMAT=json every log line is one JSON object that names the request or the task that wrote it."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings

from crisisdesk import settings_parts
from crisisdesk.celery import app as celery_app
from crisisdesk.logs import REQUEST_ID, TASK_ID

pytestmark = pytest.mark.django_db

task_logger = logging.getLogger("crisisdesk.tests.task")


@celery_app.task(name="tests.log_a_line")
def log_a_line(text: str) -> None:
    task_logger.warning("Swept %s", text)


class JsonLines:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def all(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line.strip()]

    def of(self, logger: str) -> list[dict]:
        return [line for line in self.all() if line["logger"] == logger]


@pytest.fixture
def json_logs() -> Iterator[JsonLines]:
    """The logging a deployment with LOG_FORMAT=json configures, its console handler writing into a buffer."""
    config = settings_parts.observability({"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}, middleware=[])["LOGGING"]
    stream = io.StringIO()
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        yield JsonLines(stream)
    finally:
        logging.config.dictConfig(django_settings.LOGGING)


def test_a_request_is_logged_as_json_under_the_id_its_response_carries(client, json_logs):
    response = client.get("/login/")
    request_id = response["X-Request-ID"]
    assert len(request_id) >= 16
    [line] = [line for line in json_logs.of("crisisdesk.access") if line.get("path") == "/login/"]
    assert line["request_id"] == request_id
    assert (line["method"], line["status"], line["level"]) == ("GET", 200, "INFO")
    assert isinstance(line["duration_ms"], float)
    assert line["message"].startswith("GET /login/ 200")


def test_a_load_balancers_request_id_is_kept_and_a_strange_one_replaced(client, json_logs):
    kept = client.get("/login/", headers={"X-Request-ID": "lb-7f3a9c2e-0001"})
    assert kept["X-Request-ID"] == "lb-7f3a9c2e-0001"
    replaced = client.get("/login/", headers={"X-Request-ID": 'bad id\n{"level": "ERROR"}'})
    assert replaced["X-Request-ID"] != 'bad id\n{"level": "ERROR"}'
    assert "\n" not in replaced["X-Request-ID"] and " " not in replaced["X-Request-ID"]
    ids = [line["request_id"] for line in json_logs.of("crisisdesk.access")]
    assert ids == ["lb-7f3a9c2e-0001", replaced["X-Request-ID"]]


def test_each_request_gets_its_own_id(client, json_logs):
    first, second = client.get("/login/")["X-Request-ID"], client.get("/login/")["X-Request-ID"]
    assert first != second
    assert REQUEST_ID.get() is None  # nothing is left behind for the next request in this thread


def test_a_tasks_log_line_carries_its_task_id_and_name(json_logs):
    result = log_a_line.apply(args=["the escalations"])
    [line] = json_logs.of("crisisdesk.tests.task")
    assert line["message"] == "Swept the escalations"
    assert line["task_id"] == result.id
    assert line["task_name"] == "tests.log_a_line"
    assert "request_id" not in line
    assert TASK_ID.get() is None  # cleared after the run


def test_a_task_run_during_a_request_names_both(json_logs):
    token = REQUEST_ID.set("req-0123456789")
    try:
        result = log_a_line.apply(args=["inside a request"])
        assert REQUEST_ID.get() == "req-0123456789"  # the request's id is back once the task ran
    finally:
        REQUEST_ID.reset(token)
    [line] = json_logs.of("crisisdesk.tests.task")
    assert (line["task_id"], line["request_id"]) == (result.id, "req-0123456789")


def test_a_task_queued_during_a_request_carries_the_request_id_in_its_message():
    # why: the test settings' broker is kombu's in-process transport; its queues are on this class
    from kombu.transport.memory import Channel

    Channel.queues.pop("logs-test", None)
    token = REQUEST_ID.set("req-queued-0001")
    try:
        celery_app.send_task("tests.log_a_line", args=["later"], queue="logs-test")
    finally:
        REQUEST_ID.reset(token)
    message = Channel.queues.pop("logs-test").get_nowait()
    assert message["headers"]["crisisdesk_request_id"] == "req-queued-0001"


def test_the_default_log_line_stays_readable_and_names_the_task(settings):
    config = settings_parts.observability({"LOG_LEVEL": "INFO"}, middleware=[])["LOGGING"]
    assert config["handlers"]["console"]["formatter"] == "plain"
    assert config["loggers"]["crisisdesk.access"]["level"] == "WARNING"  # no line per request unless asked
    stream = io.StringIO()
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        result = log_a_line.apply(args=["plainly"])
    finally:
        logging.config.dictConfig(settings.LOGGING)
    line = stream.getvalue().strip()
    assert line.endswith(f"Swept plainly [task_id={result.id}]")
    assert not line.startswith("{")
