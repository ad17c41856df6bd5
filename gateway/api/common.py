"""Pieces every app's API shares: the list query parameters and the error body for
the OpenAPI document."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from gateway.api.fields import StrictInputSerializer
from gateway.api.pagination import DEFAULT_LIMIT, MAX_LIMIT


class ListQueryInputSerializer(StrictInputSerializer):
    """The cursor parameters every list takes; the paginator reads them."""

    limit = serializers.IntegerField(
        min_value=1,
        max_value=MAX_LIMIT,
        required=False,
        help_text=f"How many objects to return, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
    )
    starting_after = serializers.CharField(
        required=False, help_text="An object id: return the objects created before it."
    )
    ending_before = serializers.CharField(
        required=False, help_text="An object id: return the objects created after it."
    )


# The `created` filters of the lists that take them (gateway.api.filters.created_filter).
CREATED_PARAMETERS = [
    OpenApiParameter("created", OpenApiTypes.INT, description="Unix seconds: that second"),
    *(
        OpenApiParameter(f"created[{op}]", OpenApiTypes.INT, description="Unix seconds")
        for op in ("gt", "gte", "lt", "lte")
    ),
]


class ErrorDetailOutputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=[
            "invalid_request_error",
            "authentication_error",
            "permission_error",
            "card_error",
            "idempotency_error",
            "rate_limit_error",
            "api_error",
        ]
    )
    code = serializers.CharField()
    message = serializers.CharField()
    param = serializers.CharField(required=False)
    decline_code = serializers.CharField(required=False)
    payment = serializers.CharField(required=False)


class ErrorOutputSerializer(serializers.Serializer):
    error = ErrorDetailOutputSerializer()


def error_responses(*codes: int) -> dict:
    """`{400: <error body>, ...}` for `extend_schema(responses=...)`."""
    descriptions = {
        400: "Invalid request (unknown or malformed parameter, wrong state)",
        401: "Authentication error: no API key, or one that is unknown, expired or revoked",
        402: "Card error: invalid card data, or a decline (the error names the payment)",
        403: "Permission error: this key may not make the call",
        404: "No such object for this merchant and mode",
        409: "Idempotency error: a request with this Idempotency-Key is still running",
        411: "A chunked body the server cannot read: send Content-Length",
        413: "The request body is larger than the limit",
        415: "The request body is not application/json",
        429: "Rate limit error: too many requests for this key; see Retry-After",
    }
    return {
        code: OpenApiResponse(ErrorOutputSerializer, description=descriptions[code])
        for code in codes
    }
