"""The OpenAPI generator of every /v1/ view (DEFAULT_SCHEMA_CLASS).

Adds what ApiViewSet does to every operation of a kind, so no view has to repeat it:
the optional `Idempotency-Key` header on every POST, the errors every operation of a
kind can answer (authentication, rate limit, unknown or empty query parameters; body
and idempotency errors on a POST; a missing object where the path names one), closed request
bodies where the input serializer refuses unknown parameters, and no empty list
parameters.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from gateway.api.common import error_responses
from gateway.api.fields import StrictInputSerializer
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

    def _get_parameters(self):
        """A GET refuses an empty query parameter (gateway.api.filters.known_parameters),
        so each of its free-text parameters takes at least one character."""
        parameters = super()._get_parameters()
        if self.method != "GET":
            return parameters
        for parameter in parameters:
            schema = parameter["schema"]
            if parameter["in"] == "query" and schema.get("type") == "string":
                parameter["schema"] = {"minLength": 1, **schema}
        return parameters

    def _errors_of_every_such_operation(self) -> set[int]:
        # 400 on every one: any operation refuses a query parameter it does not take
        codes = {400, 401, 403, 429}
        if self.method == "POST":
            codes |= {409, 411, 413, 415}
        if "{" in self.path:
            codes.add(404)
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in error_responses(*self._errors_of_every_such_operation()).items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(
                    response, str(code), direction=direction
                )
        return dict(sorted(responses.items()))

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """A required text is not blank: DRF trims surrounding spaces first, so "  " is
        refused as blank though `minLength: 1` alone would allow it."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and field.trim_whitespace
            and not field.allow_blank
            and schema.get("type") == "string"
            and not {"pattern", "format", "enum"} & schema.keys()
        ):
            schema["pattern"] = r"\S"
        return schema

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        serializer = force_instance(serializer)
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(serializer, StrictInputSerializer):
            schema["additionalProperties"] = False
        if not vars(type(serializer)).get("__doc__"):
            schema.pop("description", None)  # not the docstring of a base class
        return schema
