"""How a webhook endpoint looks from outside: API responses and event payloads."""

from gateway.api.events import EventSerializer
from webhooks.models import WebhookEndpoint


def endpoint_snapshot(endpoint: WebhookEndpoint, *, secret: str | None = None) -> dict:
    """The endpoint object; `secret` only in the answer to create and rotate."""
    snapshot = {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "url": endpoint.url,
        "enabled_events": endpoint.enabled_events,
        "status": endpoint.status,
        "description": endpoint.description or None,
        "livemode": endpoint.livemode,
        "created": int(endpoint.created_at.timestamp()),
    }
    if secret is not None:
        snapshot["secret"] = secret
    return snapshot


def event_body(event) -> dict:
    """What a webhook POSTs: the event exactly as `GET /v1/events/{id}` shows it, as
    Stripe's (the SPEC's `{id, type, created, livemode, data}` with `object` and
    `request` beside)."""
    return EventSerializer(event).data
