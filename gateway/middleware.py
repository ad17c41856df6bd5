"""Request-wide middleware: a Request-Id on every response, and the body size limit."""

import secrets

from django.conf import settings

from gateway.api.errors import json_error_response, request_too_large
from gateway.logging import request_id_var


class RequestIdMiddleware:
    """Tags the request, its log records and its response with `Request-Id`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = "req_" + secrets.token_hex(12)
        request.request_id = request_id
        # Left set after the response, so Django's own request log line (written
        # outside the middleware chain) carries it; the next request replaces it.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response["Request-Id"] = request_id
        return response


class BodySizeLimitMiddleware:
    """Refuses bodies above API_MAX_BODY_BYTES with a JSON 413 before reading them.

    Chunked bodies without a Content-Length are caught later by Django's own
    DATA_UPLOAD_MAX_MEMORY_SIZE check, which the API error handler maps to 413 too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            return json_error_response(request_too_large())
        return self.get_response(request)
