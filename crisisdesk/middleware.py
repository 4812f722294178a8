"""Request-wide behaviour: the user's chosen language, and a clean 503 when the database is gone."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation

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
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.warning("Database unavailable: %s", exception)
            response = JsonResponse({"detail": "The database is unavailable; try again shortly."}, status=503)
            response["Retry-After"] = "5"
            return response
        return None

