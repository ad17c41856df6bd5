"""The OpenAPI generator of every /v1/ view (DEFAULT_SCHEMA_CLASS).

Adds what ApiViewSet does to every operation of a kind, so no view has to repeat it:
the optional `Idempotency-Key` header on every POST.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from gateway.idempotency import HEADER, KEY_MAX_LENGTH

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    # At least one visible character: HTTP servers strip surrounding whitespace.
    type={
        "type": "string",
        "minLength": 1,
        "maxLength": KEY_MAX_LENGTH,
        "pattern": "^[ -~]*[!-~][ -~]*$",
    },
    description="Makes the request safe to retry: a repeat with the same key and the "
    "same request returns the stored response with `Idempotent-Replayed: true` and has "
    "no other effect. 1 to 255 printable ASCII characters, unique per request (a UUID "
    "v4 is a good choice), kept 24 hours. The same key with another method, path or "
    "body is a 400 `idempotency_error`; while the first request with it still runs, a "
    "409 `idempotency_key_in_use`.",
)


class ApiAutoSchema(AutoSchema):
    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "POST":
            parameters = [*parameters, IDEMPOTENCY_KEY_PARAMETER]
        return parameters
