"""The JSON error format of every /v1/ response, and the exceptions that produce it.

Body: `{"error": {"type", "code", "message", "param"?, "decline_code"?, "payment"?}}`
with the Stripe error types. Services raise `ApiError` subclasses (or domain errors
that views translate); everything else DRF or Django raises is mapped here, and any
unexpected exception becomes a logged 500 without a stack trace in the body.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API reports to the caller as-is."""

    status_code = 400
    type = "invalid_request_error"
    code = "invalid_request"
    # Whether the answer reports what the request did (kept for Idempotency-Key
    # replays) rather than refusing it before any effect.
    is_outcome = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        status: int | None = None,
        **extra: str,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status_code = status
        self.param = param
        self.extra = {key: value for key, value in extra.items() if value is not None}

    def body(self) -> dict:
        error = {"type": self.type, "code": self.code, "message": _encodable(self.message)}
        if self.param:
            error["param"] = _encodable(self.param)
        error.update(self.extra)
        return {"error": error}


def _encodable(text: str) -> str:
    """Messages and params may quote the caller's input (an unknown parameter's name,
    '"\\ud800" is not a valid choice.'); a lone surrogate there would make the JSON
    response itself impossible to encode, so it is shown escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class InvalidRequestError(ApiError):
    """A request refused as it stands: by default a parameter's value (`param`)."""

    code = "parameter_invalid"


class NotFoundError(ApiError):
    status_code = 404
    code = "resource_missing"


class AuthenticationError(ApiError):
    status_code = 401
    type = "authentication_error"
    code = "invalid_api_key"


class ForbiddenError(ApiError):
    status_code = 403
    type = "permission_error"
    code = "permission_denied"


class CardError(ApiError):
    status_code = 402
    type = "card_error"
    code = "card_declined"

    @property
    def is_outcome(self) -> bool:
        """A decline naming its payment is how that payment ended; card data refused
        before anything was made (a bad number, a past expiry) is not."""
        return "payment" in self.extra


class IdempotencyError(ApiError):
    type = "idempotency_error"
    code = "idempotency_key_reused"


class RateLimitError(ApiError):
    status_code = 429
    type = "rate_limit_error"
    code = "rate_limit"


class ApiServerError(ApiError):
    status_code = 500
    type = "api_error"
    code = "internal_error"


# DRF's validation codes, renamed to the codes merchants know from Stripe.
_VALIDATION_CODES = {
    "required": "parameter_missing",
    "null": "parameter_missing",
    "blank": "parameter_invalid_empty",
    "invalid": "parameter_invalid",
    "max_length": "parameter_invalid_string",
    "min_length": "parameter_invalid_string",
    "max_string_length": "parameter_invalid_string",
    "empty": "parameter_invalid_empty",
    "max_value": "parameter_invalid_integer",
    "min_value": "parameter_invalid_integer",
    "invalid_choice": "parameter_invalid",
    "not_a_list": "parameter_invalid",
    "not_a_dict": "parameter_invalid",
    "null_characters_not_allowed": "parameter_invalid",
    "surrogate_characters_not_allowed": "parameter_invalid",
}


def _first_error(detail, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], drf.ErrorDetail]:
    """Depth-first walk to the first leaf of a DRF error tree, with its field path."""
    if isinstance(detail, dict):
        key = next(iter(detail))
        return _first_error(detail[key], (*path, str(key)))
    if isinstance(detail, list):
        for index, item in enumerate(detail):
            if item:
                nested_path = path if not isinstance(item, dict | list) else (*path, str(index))
                return _first_error(item, nested_path)
    return path, detail


def _stripe_param(path: tuple[str, ...]) -> str | None:
    """('card', 'number') -> 'card[number]'; Stripe's notation for nested params."""
    parts = [p for p in path if p != "non_field_errors"]
    if not parts:
        return None
    return parts[0] + "".join(f"[{p}]" for p in parts[1:])


def validation_error(exc: drf.ValidationError) -> ApiError:
    path, detail = _first_error(exc.detail)
    code = getattr(detail, "code", "invalid")
    param = _stripe_param(path)
    message = str(detail)
    if param and code == "required":
        message = f"Missing required param: {param}."
    elif param and code == "null":
        message = f"Invalid {param}: null is not accepted; leave the parameter out instead."
    elif param and not message.startswith(param):
        message = f"Invalid {param}: {message}"
    return InvalidRequestError(message, code=_VALIDATION_CODES.get(code, code), param=param)


def _as_api_error(exc: Exception) -> ApiError | None:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, drf.ValidationError):
        return validation_error(exc)
    if isinstance(exc, drf.ParseError):
        return InvalidRequestError("The request body is not valid JSON.", code="parse_error")
    if isinstance(exc, drf.NotAuthenticated):
        return AuthenticationError(
            "You did not provide an API key. Send `Authorization: Bearer sk_test_...`."
        )
    if isinstance(exc, drf.AuthenticationFailed):
        return AuthenticationError(str(exc.detail))
    if isinstance(exc, drf.PermissionDenied | DjangoPermissionDenied):
        return ForbiddenError(str(getattr(exc, "detail", "")) or "Permission denied.")
    if isinstance(exc, drf.NotFound | Http404):
        return NotFoundError("No such resource.")
    if isinstance(exc, drf.MethodNotAllowed):
        return InvalidRequestError(str(exc.detail), code="method_not_allowed", status=405)
    if isinstance(exc, drf.UnsupportedMediaType):
        return InvalidRequestError(
            "Send the request body as application/json.",
            code="unsupported_media_type",
            status=415,
        )
    if isinstance(exc, drf.NotAcceptable):
        return InvalidRequestError(str(exc.detail), code="not_acceptable", status=406)
    if isinstance(exc, RequestDataTooBig):
        return request_too_large()
    if isinstance(exc, drf.Throttled):
        return RateLimitError("Too many requests. Slow down and retry.")
    if isinstance(exc, drf.APIException):
        return ApiError(str(exc.detail), status=exc.status_code)
    return None


def request_too_large() -> ApiError:
    return InvalidRequestError(
        "The request body is too large.", code="request_too_large", status=413
    )


def length_required() -> ApiError:
    return InvalidRequestError(
        "A request body must come with a Content-Length header here.",
        code="length_required",
        status=411,
    )


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF exception handler: every exception raised by a /v1/ view becomes JSON."""
    error = _as_api_error(exc)
    if error is None:
        logger.exception("Unhandled error in %s", context["view"].__class__.__name__)
        error = ApiServerError("An unexpected error occurred. It has been logged.")
    response = Response(error.body(), status=error.status_code)
    response.is_outcome = error.is_outcome
    if isinstance(exc, drf.Throttled):
        response["Retry-After"] = str(max(1, int(exc.wait or 1)))
    if error.status_code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'

    return response


def json_error_response(error: ApiError) -> JsonResponse:
    """The same body outside DRF (middleware, Django's error handlers)."""
    return JsonResponse(error.body(), status=error.status_code)
