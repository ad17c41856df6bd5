"""Shapes of the webhook API: input checks only, rendering through representations."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gateway.api.fields import StrictBooleanField, StrictInputSerializer
from webhooks.enums import EndpointStatus
from webhooks.event_types import EVENT_TYPE_SET, EVENT_TYPES, WILDCARD
from webhooks.representations import endpoint_snapshot

MAX_ENABLED_EVENTS = len(EVENT_TYPES)


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "array",
                "items": {"type": "string", "enum": list(EVENT_TYPES)},
                "minItems": 1,
                "maxItems": MAX_ENABLED_EVENTS,
            },
            {
                "type": "array",
                "items": {"type": "string", "enum": [WILDCARD]},
                "minItems": 1,
                "maxItems": 1,
            },
        ]
    }
)
class EnabledEventsField(serializers.ListField):
    """Known event types, or exactly `["*"]`; duplicates are dropped."""

    child = serializers.ChoiceField(choices=[WILDCARD, *EVENT_TYPES])

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_empty", False)
        kwargs.setdefault("max_length", MAX_ENABLED_EVENTS)
        kwargs.setdefault(
            "help_text",
            'Event types to receive, or ["*"] for all of them (including types added later).',
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, list):
            unknown = [item for item in data if isinstance(item, str) and item != WILDCARD]
            unknown = [item for item in unknown if item not in EVENT_TYPE_SET]
            if unknown:
                raise serializers.ValidationError(
                    f"Unknown event type {unknown[0]!r}.", code="parameter_invalid"
                )
        events = list(dict.fromkeys(super().to_internal_value(data)))
        if WILDCARD in events and len(events) > 1:
            raise serializers.ValidationError(
                'Use ["*"] alone to receive every event type.', code="parameter_invalid"
            )
        return events


class WebhookEndpointCreateInputSerializer(StrictInputSerializer):
    url = serializers.CharField(
        max_length=2048, help_text="URL receiving the events: https (test mode also takes http)"
    )
    enabled_events = EnabledEventsField()
    description = serializers.CharField(max_length=500, allow_blank=True, required=False)


class WebhookEndpointUpdateInputSerializer(StrictInputSerializer):
    url = serializers.CharField(max_length=2048, required=False)
    enabled_events = EnabledEventsField(required=False)
    description = serializers.CharField(max_length=500, allow_blank=True, required=False)
    disabled = StrictBooleanField(
        required=False, help_text="true disables the endpoint, false enables it again"
    )


class EmptyInputSerializer(StrictInputSerializer):
    """No parameters: anything sent is refused as unknown."""


class EventResendInputSerializer(StrictInputSerializer):
    endpoint = serializers.CharField(
        max_length=40, required=False, help_text="Only this webhook endpoint (we_...)"
    )


class WebhookEndpointSerializer(serializers.Serializer):
    """Declares the endpoint object for the schema; renders with endpoint_snapshot."""

    id = serializers.CharField()
    object = serializers.CharField(help_text='Always "webhook_endpoint".')
    url = serializers.CharField()
    enabled_events = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=EndpointStatus.choices)
    description = serializers.CharField(allow_null=True)
    livemode = serializers.BooleanField()
    created = serializers.IntegerField()

    def to_representation(self, instance) -> dict:
        return endpoint_snapshot(instance)


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        help_text="The signing secret (whsec_...). Shown only now: store it safely."
    )

    def to_representation(self, instance) -> dict:
        return endpoint_snapshot(instance.endpoint, secret=instance.secret)


class DeletedWebhookEndpointSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    deleted = serializers.BooleanField()


class EventResendSerializer(serializers.Serializer):
    object = serializers.CharField(help_text='Always "event_resend".')
    event = serializers.CharField()
    webhook_endpoints = serializers.ListField(
        child=serializers.CharField(), help_text="Endpoints the event is being sent to again"
    )
