"""Serializer fields shared by every app's API."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.INT)
class UnixTimestampField(serializers.ReadOnlyField):
    """A datetime rendered as integer Unix seconds, as everywhere in the API."""

    def to_representation(self, value) -> int | None:
        return None if value is None else int(value.timestamp())
