"""Request-wide behaviour: the user's chosen language, and a clean 503 when the database is gone."""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.views import defaults

logger = logging.getLogger(__name__)


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

