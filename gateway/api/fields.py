"""Serializer fields and the strict input serializer shared by every app's API."""

from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from iso3166 import countries_by_alpha2
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from gateway.money import MAX_AMOUNT, MIN_AMOUNT, normalize_currency

METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 500


@extend_schema_field(OpenApiTypes.INT)
class UnixTimestampField(serializers.ReadOnlyField):
    """A datetime rendered as integer Unix seconds, as everywhere in the API."""

    def to_representation(self, value) -> int | None:
        return None if value is None else int(value.timestamp())


@extend_schema_field({"type": "integer", "minimum": MIN_AMOUNT, "maximum": MAX_AMOUNT})
class AmountField(serializers.Field):
    """A JSON integer of minor units from 1 to 99,999,999: no floats, strings or booleans."""

    default_error_messages = {
        "invalid": "Amounts are JSON integers in the currency's minor unit.",
        "too_small": f"Amounts must be at least {MIN_AMOUNT}.",
        "too_large": f"Amounts must be at most {MAX_AMOUNT:,}.",
    }

    def to_internal_value(self, data) -> int:
        if type(data) is not int:
            raise serializers.ValidationError(
                self.error_messages["invalid"], code="parameter_invalid_integer"
            )
        if data < MIN_AMOUNT:
            raise serializers.ValidationError(
                self.error_messages["too_small"], code="amount_too_small"
            )
        if data > MAX_AMOUNT:
            raise serializers.ValidationError(
                self.error_messages["too_large"], code="amount_too_large"
            )
        return data

    def to_representation(self, value) -> int:
        return value


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false: DRF's own also takes "yes", "on", 1 and the like."""

    def to_internal_value(self, data) -> bool:
        if type(data) is not bool:
            self.fail("invalid", input=data)
        return data


@extend_schema_field({"type": "string", "minLength": 3, "maxLength": 3, "example": "usd"})
class CurrencyField(serializers.Field):
    """An ISO 4217 code, any case in, lower case out."""

    def to_internal_value(self, data) -> str:
        code = normalize_currency(data)
        if code is None:
            raise serializers.ValidationError(
                "Not a supported ISO 4217 currency code.", code="invalid_currency"
            )
        return code

    def to_representation(self, value) -> str:
        return value


def _any_case(letters) -> str:
    return "".join(letter + letter.lower() for letter in letters)


def _country_pattern() -> str:
    """The ISO 3166-1 alpha-2 codes as a regular expression in any case, one branch per
    first letter: `^(?:[Aa][DdEe…]|…)$`."""
    second_letters: dict[str, list[str]] = {}
    for code in sorted(countries_by_alpha2):
        second_letters.setdefault(code[0], []).append(code[1])
    branches = (
        f"[{_any_case(first)}][{_any_case(seconds)}]" for first, seconds in second_letters.items()
    )
    return f"^(?:{'|'.join(branches)})$"


IP_ADDRESS_SCHEMA = {"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]}


@extend_schema_field(IP_ADDRESS_SCHEMA)
class IPAddressField(serializers.IPAddressField):
    """An IPv4 or IPv6 address, documented as one (DRF's field says only "string")."""


@extend_schema_field({"type": "string", "pattern": _country_pattern()})
class CountryField(serializers.CharField):
    """An ISO 3166-1 alpha-2 country code, any case in, upper case out."""

    def to_internal_value(self, data) -> str:
        code = super().to_internal_value(data).upper()
        if code and code not in countries_by_alpha2:
            raise serializers.ValidationError(
                "Not an ISO 3166-1 two-letter country code.", code="invalid"
            )
        return code


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "object",
                "additionalProperties": {
                    "type": "string",
                    "maxLength": METADATA_MAX_VALUE_LENGTH,
                },
                "maxProperties": METADATA_MAX_KEYS,
            },
            {"type": "string", "enum": [""], "description": "none at all"},
        ]
    }
)
class MetadataField(serializers.Field):
    """At most 50 string keys of up to 40 characters, string values of up to 500. An
    empty string is none at all, as Stripe takes it (an update clears every key)."""

    def to_internal_value(self, data) -> dict | None:
        if data == "":
            return None
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                "Metadata must be an object.", code="parameter_invalid"
            )
        if len(data) > METADATA_MAX_KEYS:
            raise serializers.ValidationError(
                f"Metadata can have at most {METADATA_MAX_KEYS} keys.", code="parameter_invalid"
            )
        for key, value in data.items():
            if not key or len(key) > METADATA_MAX_KEY_LENGTH:
                raise serializers.ValidationError(
                    f"Metadata keys are 1 to {METADATA_MAX_KEY_LENGTH} characters.",
                    code="parameter_invalid",
                )
            if not isinstance(value, str) or len(value) > METADATA_MAX_VALUE_LENGTH:
                raise serializers.ValidationError(
                    f"Metadata values are strings of at most {METADATA_MAX_VALUE_LENGTH} "
                    "characters.",
                    code="parameter_invalid",
                )
            for text in (key, value):  # as CharField: PostgreSQL stores neither
                ProhibitNullCharactersValidator()(text)
                ProhibitSurrogateCharactersValidator()(text)
        return data

    def to_representation(self, value) -> dict:
        return value


class StrictInputSerializer(serializers.Serializer):
    """Input serializer that refuses parameters it does not declare (`parameter_unknown`),
    so a client can never set `status`, `amount_refunded` or `livemode` by sending them."""

    def run_validation(self, data=serializers.empty):
        if data is None and self.parent is None:  # a `null` body: no object, as `[]`
            self.to_internal_value(data)
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["The request body must be a JSON object."]},
                code="parameter_invalid",
            )
        unknown = [key for key in data if key not in self.fields]
        if unknown:
            raise serializers.ValidationError(
                {
                    unknown[0]: [
                        serializers.ErrorDetail(
                            "Received unknown parameter.", code="parameter_unknown"
                        )
                    ]
                }
            )
        for key, value in data.items():
            field = self.fields[key]
            if isinstance(field, serializers.CharField):
                _check_string(key, field, value)
        return super().to_internal_value(data)


def _check_string(key: str, field: serializers.CharField, value) -> None:
    """What DRF's CharField lets through: a number (it takes its digits), and a string
    longer than `max_length` that is no longer once trimmed of surrounding spaces (the
    document's `maxLength` counts them, as a client does)."""
    if isinstance(value, int | float):
        raise serializers.ValidationError(
            {key: [serializers.ErrorDetail("Expected a string.", code="invalid")]}
        )
    if field.max_length is not None and isinstance(value, str) and len(value) > field.max_length:
        message = field.error_messages["max_length"].format(max_length=field.max_length)
        raise serializers.ValidationError(
            {key: [serializers.ErrorDetail(message, code="max_length")]}
        )
