"""`/v1/webhook_endpoints` and `POST /v1/events/{id}/resend`: parse, call a service,
render."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from gateway.api.base import ApiViewSet
from gateway.api.common import error_responses
from gateway.api.errors import InvalidRequestError
from gateway.api.filters import known_parameters
from gateway.events import Event
from webhooks import services
from webhooks.api.serializers import (
    DeletedWebhookEndpointSerializer,
    EmptyInputSerializer,
    EventResendInputSerializer,
    EventResendSerializer,
    WebhookEndpointCreateInputSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateInputSerializer,
    WebhookEndpointWithSecretSerializer,
)
from webhooks.models import WebhookEndpoint
from webhooks.selectors import endpoint_list
from webhooks.ssrf import UnsafeUrl


def _refused_url(exc: UnsafeUrl) -> InvalidRequestError:
    return InvalidRequestError(str(exc), code=exc.code, param="url")


class WebhookEndpointViewSet(ApiViewSet):
    def _endpoint(self, pk: str) -> WebhookEndpoint:
        return self.owned(WebhookEndpoint.objects.live(), pk, noun="webhook endpoint")

    @extend_schema(
        request=WebhookEndpointCreateInputSerializer,
        responses={200: WebhookEndpointWithSecretSerializer, **error_responses(400)},
    )
    def create(self, request):
        """Register a URL for events; the answer carries the signing `secret`, once."""
        data = self.parse(WebhookEndpointCreateInputSerializer)
        try:
            issued = services.webhook_endpoint_create(
                merchant=self.merchant,
                livemode=self.livemode,
                url=data["url"],
                enabled_events=data["enabled_events"],
                description=data.get("description", ""),
                actor=self.actor,
            )
        except UnsafeUrl as exc:
            raise _refused_url(exc) from None
        return Response(WebhookEndpointWithSecretSerializer(issued).data)

    @extend_schema(responses=WebhookEndpointSerializer)
    def retrieve(self, request, pk=None):
        return Response(WebhookEndpointSerializer(self._endpoint(pk)).data)

    @extend_schema(responses=WebhookEndpointSerializer(many=True))
    def list(self, request):
        """Webhook endpoints, newest first."""
        known_parameters(request.query_params)
        queryset = endpoint_list(merchant=self.merchant, livemode=self.livemode)
        return self.paginated_response(queryset, WebhookEndpointSerializer)

    @extend_schema(
        operation_id="v1_webhook_endpoints_update",
        request=WebhookEndpointUpdateInputSerializer,
        responses=WebhookEndpointSerializer,
    )
    def update(self, request, pk=None):
        """Change the URL, the event types, the description, or disable/enable it."""
        data = self.parse(WebhookEndpointUpdateInputSerializer)
        try:
            endpoint = services.webhook_endpoint_update(
                endpoint=self._endpoint(pk), actor=self.actor, **data
            )
        except UnsafeUrl as exc:
            raise _refused_url(exc) from None
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={200: DeletedWebhookEndpointSerializer, **error_responses(404)})
    def destroy(self, request, pk=None):
        """Delete the endpoint; it receives nothing more."""
        endpoint = self._endpoint(pk)
        services.webhook_endpoint_delete(endpoint=endpoint, actor=self.actor)
        return Response({"id": endpoint.id, "object": "webhook_endpoint", "deleted": True})

    @extend_schema(request=None, responses=WebhookEndpointWithSecretSerializer)
    def rotate_secret(self, request, pk=None):
        """A new signing secret, shown once; the old one keeps signing for 24 hours."""
        self.parse(EmptyInputSerializer)
        issued = services.webhook_endpoint_rotate_secret(
            endpoint=self._endpoint(pk), actor=self.actor
        )
        return Response(WebhookEndpointWithSecretSerializer(issued).data)


class EventResendViewSet(ApiViewSet):
    @extend_schema(request=EventResendInputSerializer, responses=EventResendSerializer)
    def resend(self, request, pk=None):
        """Send an event again now, to every enabled endpoint subscribed to its type or
        to one `endpoint`, with a fresh retry schedule."""
        data = self.parse(EventResendInputSerializer)
        event = self.owned(Event.objects, pk, noun="event")
        endpoint = None
        if "endpoint" in data:
            endpoint = (
                WebhookEndpoint.objects.for_merchant(self.merchant, livemode=self.livemode)
                .filter(pk=data["endpoint"])
                .first()
            )
            if endpoint is None:
                raise InvalidRequestError(
                    f"No such webhook endpoint: '{data['endpoint']}'",
                    code="resource_missing",
                    param="endpoint",
                )
        try:
            deliveries = services.webhook_event_resend(
                event=event, endpoint=endpoint, actor=self.actor
            )
        except services.EndpointNotSubscribed as exc:
            raise InvalidRequestError(str(exc), code=exc.code, param="endpoint") from None
        return Response(
            {
                "object": "event_resend",
                "event": event.id,
                "webhook_endpoints": [d.endpoint_id for d in deliveries],
            }
        )
