"""Request-wide middleware: a Request-Id on every response, no caching of API answers,
the API's Host check, NUL characters refused in URLs, and the body size limit."""

import io
import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost, SuspiciousOperation
from django.core.handlers.wsgi import LimitedStream

from gateway.api.errors import json_error_response, length_required, request_too_large
from gateway.api.views import bad_request, is_api_request
from gateway.idempotency import idempotency_key_var
from gateway.logging import new_request_id, request_id_var

security_logger = logging.getLogger("django.security.DisallowedHost")


class RequestIdMiddleware:
    """Tags the request, its log records and its response with `Request-Id`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = new_request_id()
        request.request_id = request_id
        # Left set after the response, so Django's own request log line (written
        # outside the middleware chain) carries it; the next request replaces it.
        request_id_var.set(request_id)
        idempotency_key_var.set(None)  # an API view sets the request's own
        response = self.get_response(request)
        response["Request-Id"] = request_id
        return response


class ApiNoStoreMiddleware:
    """Every API answer, errors and the account included, is `no-cache, no-store`, as
    Stripe's: one can carry a client secret or a signing secret shown once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if is_api_request(request):
            response["Cache-Control"] = "no-cache, no-store"
        return response


class ApiHostMiddleware:
    """Checks the Host header of an API request before anything else asks for it, so a
    host outside ALLOWED_HOSTS is the API's JSON 400 with DEBUG on as well (Django then
    answers its HTML debug page); logged as Django logs it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api_request(request):
            try:
                request.get_host()
            except DisallowedHost as refused:
                security_logger.error(str(refused), extra={"status_code": 400, "request": request})
                return bad_request(request, refused)
        return self.get_response(request)


class NulCharacterMiddleware:
    """A NUL character in the URL is a 400 on every page outside the API (the admin,
    hosted pages, provider webhooks): PostgreSQL cannot hold one in text, so a lookup or
    admin filter with it would fail in the database, a 500. The API answers it with its
    own JSON error, after authentication (gateway.api.base)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_request(request) and (
            "\x00" in request.path
            or any("\x00" in key + "".join(values) for key, values in request.GET.lists())
        ):
            return bad_request(request, SuspiciousOperation("NUL character in the URL"))
        return self.get_response(request)


class BodySizeLimitMiddleware:
    """Refuses bodies above API_MAX_BODY_BYTES with a JSON 413 before reading them.

    Django reads a body by its Content-Length, so a chunked body (none) would be read
    as empty and the request run without its parameters. Where the server decodes
    chunks and ends the stream (`wsgi.input_terminated`, as gunicorn does) the body is
    read here, up to the limit; elsewhere (runserver) it is refused with a 411.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            refused = self._read_chunked(request)
            if refused is not None:
                return refused
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            return json_error_response(request_too_large())
        return self.get_response(request)

    @staticmethod
    def _read_chunked(request):
        if not request.META.get("wsgi.input_terminated"):
            return json_error_response(length_required())
        body = request.META["wsgi.input"].read(settings.API_MAX_BODY_BYTES + 1)
        if len(body) > settings.API_MAX_BODY_BYTES:
            return json_error_response(request_too_large())
        request.META["CONTENT_LENGTH"] = str(len(body))
        request._stream = LimitedStream(io.BytesIO(body), len(body))
        return None
