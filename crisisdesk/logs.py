"""Log lines that say which request or task wrote them: request and task ids, and the JSON format.

A request's id comes from its `X-Request-ID` header when a load balancer or proxy set a sane one, and is made
here otherwise (`crisisdesk.middleware.RequestIdMiddleware`); it goes back in the response's header. A Celery
task's id is set around each run by the task_prerun / task_postrun signals, and a task queued while a request
is served carries that request's id in its message, so the worker's lines name both. Both live in context
variables, which a thread started by asgiref or a worker pool inherits or sets for itself, and one logging
filter copies them onto every record. `LOG_FORMAT=json` writes each record as one JSON object (python-json-logger);
the default stays one readable line.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from celery import signals

REQUEST_ID: ContextVar[str | None] = ContextVar("crisisdesk_request_id", default=None)
TASK_ID: ContextVar[str | None] = ContextVar("crisisdesk_task_id", default=None)
TASK_NAME: ContextVar[str | None] = ContextVar("crisisdesk_task_name", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
# The header a task message carries its request's id in (Celery keeps custom headers on `task.request`).
TASK_REQUEST_ID_HEADER = "crisisdesk_request_id"
# An id from outside is kept only if it is short and plain: it is written into every log line and header.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def request_id_from(header: str | None) -> str:
    """The id a request is logged under: the caller's, if acceptable, otherwise a new one."""
    if header and _ACCEPTABLE_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Puts the current request id, task id and task name on a record (only those that are set)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for attribute, variable in (("request_id", REQUEST_ID), ("task_id", TASK_ID), ("task_name", TASK_NAME)):
            value = variable.get()
            if value is not None and not hasattr(record, attribute):
                setattr(record, attribute, value)
        return True


class PlainFormatter(logging.Formatter):
    """The readable line, with the request or task id appended when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [f"{name}={getattr(record, name)}" for name in ("request_id", "task_id") if hasattr(record, name)]
        return f"{line} [{' '.join(ids)}]" if ids else line


def logging_config(*, log_format: str, level: str, access_log: bool) -> dict[str, Any]:
    """Django's LOGGING: "json" for one JSON object per line, anything else for the readable line.

    `access_log` turns on one INFO line per request (logger `crisisdesk.access`: method, path, status, time)."""
    formatters: dict[str, Any] = {
        "plain": {"()": PlainFormatter, "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": formatters,
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if log_format == "json" else "plain",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "crisisdesk.access": {"level": "INFO" if access_log else "WARNING"},
            "django.channels.server": {"level": "WARNING"},
            "daphne": {"level": "WARNING"},
            "celery": {"level": "WARNING"},
            "httpx": {"level": "WARNING"},  # its INFO lines carry whole URLs, and some APIs take tokens in the query
        },
    }


@signals.before_task_publish.connect
def _request_id_into_message(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = REQUEST_ID.get()
    if request_id is not None and headers is not None:
        headers.setdefault(TASK_REQUEST_ID_HEADER, request_id)


@signals.task_prerun.connect
def _task_context_enter(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    """The task's ids for its run; a task run eagerly inside a request keeps that request's id."""
    request = getattr(task, "request", None)
    request_id = getattr(request, TASK_REQUEST_ID_HEADER, None) or REQUEST_ID.get()
    tokens = (TASK_ID.set(task_id), TASK_NAME.set(getattr(task, "name", None)), REQUEST_ID.set(request_id))
    if request is not None:
        request.crisisdesk_log_tokens = tokens


@signals.task_postrun.connect
def _task_context_leave(task: Any = None, **kwargs: Any) -> None:
    """Back to what was set before the run (nothing, in a worker; the request's ids, for an eager task)."""
    tokens = getattr(getattr(task, "request", None), "crisisdesk_log_tokens", None)
    if not tokens:
        return
    for variable, token in zip((TASK_ID, TASK_NAME, REQUEST_ID), tokens, strict=True):
        try:
            variable.reset(token)
        except ValueError:  # set in another context (a pool that ran prerun elsewhere): clear it instead
            variable.set(None)
