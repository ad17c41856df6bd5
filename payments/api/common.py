"""Pieces the payments API modules share: list query parameters, lookups of ids given
in a request body, and the error body for the OpenAPI document."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from gateway.api.base import ApiViewSet
from gateway.api.errors import InvalidRequestError, NotFoundError
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


def referenced(view: ApiViewSet, queryset, pk: str, *, noun: str, param: str):
    """An object named in the request body: the caller's own, or a 400 on `param` that
    reads the same whether the id is missing or belongs to someone else."""
    try:
        return view.owned(queryset, pk, noun=noun)
    except NotFoundError as exc:
        raise InvalidRequestError(exc.message, code="resource_missing", param=param) from None


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
        402: "Card error: the card data is invalid",
        403: "Permission error: this key may not make the call",
        404: "No such object for this merchant and mode",
    }
    return {
        code: OpenApiResponse(ErrorOutputSerializer, description=descriptions[code])
        for code in codes
    }
