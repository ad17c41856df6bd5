"""Django-level error handlers: JSON under /v1/, Django's own pages elsewhere."""

import functools

from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework.renderers import JSONRenderer

from gateway.api import errors


def require_methods(*methods: str):
    """Like Django's `require_http_methods`, but the 405 is the JSON error body (with
    `Allow`), not an empty HTML page. The views it guards are not CSRF-checked: they
    are called by machines (probes, providers), never by a logged-in browser."""

    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def guarded(request, *args, **kwargs):
            if request.method not in methods:
                error = errors.InvalidRequestError(
                    f"{request.method} is not allowed here.", code="method_not_allowed", status=405
                )
                response = errors.json_error_response(error)
                response["Allow"] = ", ".join(methods)
                return response
            return view(request, *args, **kwargs)

        return guarded

    return decorator


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Any /v1 path that matches no route, whatever the method: a JSON 404 (also with
    DEBUG on, where Django would answer its HTML page), with no `Allow` header."""
    return errors.json_error_response(errors.NotFoundError("No such resource."))


class SchemaView(SpectacularAPIView):
    """The OpenAPI document: JSON, as Stripe's, or YAML on request (`Accept:
    application/vnd.oai.openapi` or `?format=yaml`). Its errors, a POST say, are the
    JSON error body like every /v1/ answer, not rendered in a negotiated YAML."""

    renderer_classes = [
        OpenApiJsonRenderer,
        OpenApiJsonRenderer2,
        OpenApiYamlRenderer,
        OpenApiYamlRenderer2,
    ]

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


def is_api_request(request) -> bool:
    """Whether the request is for the API, which answers errors in JSON."""
    return request.path == "/v1" or request.path.startswith("/v1/")


def bad_request(request, exception):
    if is_api_request(request):
        return errors.json_error_response(
            errors.InvalidRequestError("Bad request.", code="invalid_request")
        )
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api_request(request):
        return errors.json_error_response(errors.ForbiddenError("Permission denied."))
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if is_api_request(request):
        return errors.json_error_response(errors.NotFoundError("No such resource."))
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api_request(request):
        return errors.json_error_response(
            errors.ApiServerError("An unexpected error occurred. It has been logged.")
        )
    return defaults.server_error(request)
