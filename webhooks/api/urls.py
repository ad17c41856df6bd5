from django.urls import path

from webhooks.api.views import EventResendViewSet, WebhookEndpointViewSet

endpoints = WebhookEndpointViewSet.as_view({"get": "list", "post": "create"})
endpoint = WebhookEndpointViewSet.as_view(
    {"get": "retrieve", "post": "update", "delete": "destroy"}
)
rotate_secret = WebhookEndpointViewSet.as_view({"post": "rotate_secret"})
resend = EventResendViewSet.as_view({"post": "resend"})

urlpatterns = [
    path("webhook_endpoints", endpoints, name="webhook-endpoint-list"),
    path("webhook_endpoints/<str:pk>", endpoint, name="webhook-endpoint-detail"),
    path(
        "webhook_endpoints/<str:pk>/rotate_secret",
        rotate_secret,
        name="webhook-endpoint-rotate-secret",
    ),
    path("events/<str:pk>/resend", resend, name="event-resend"),
]
