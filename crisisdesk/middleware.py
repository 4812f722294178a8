"""Request-wide behaviour: the request's id in logs and headers, the user's chosen language, and a clean 503
when the database is gone."""

from __future__ import annotations

import logging
import sys
import time

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.views import defaults

from crisisdesk.logs import REQUEST_ID, REQUEST_ID_HEADER, request_id_from

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("crisisdesk.access")


class RequestIdMiddleware:
    """Every request is logged under one id, sent back as `X-Request-ID` (the proxy's, when it set a sane one);
    with the access log on (LOG_ACCESS, on by default with LOG_FORMAT=json), one line per request says how it went."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            if access_logger.isEnabledFor(logging.INFO):
                duration_ms = round((time.perf_counter() - started) * 1000, 1)
                access_logger.info(
                    "%s %s %s %.1f ms",
                    request.method,
                    request.path,
                    response.status_code,
                    duration_ms,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": duration_ms,
                    },
                )
            return response
        finally:
            REQUEST_ID.reset(token)


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A lost database connection is an outage, not a bug: say 503 and let the client retry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            return database_unavailable(exception)
        return None


def database_unavailable(exception: Exception) -> JsonResponse:
    logger.warning("Database unavailable: %s", exception)
    response = JsonResponse({"detail": "The database is unavailable; try again shortly."}, status=503)
    response["Retry-After"] = "5"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the session and user middleware reach the database before any view does, so an
    outage raised there never passes through `process_exception`; it is still a 503, not a 500."""
    exception = sys.exc_info()[1]
    if isinstance(exception, OperationalError | InterfaceError):
        return database_unavailable(exception)
    return defaults.server_error(request)
