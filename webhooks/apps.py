from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks: endpoints, fan-out from the event outbox, signed delivery."""

    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from gateway import metrics, sealed, timeline
        from webhooks import (
            checks,  # noqa: F401 - registers the settings checks
            selectors,  # also connects its cache busting
        )
        from webhooks.metrics import deliveries_oldest_due
        from webhooks.models import RetiredSecret, WebhookEndpoint

        sealed.register(WebhookEndpoint, "secret_ciphertext")
        sealed.register(RetiredSecret, "secret_ciphertext")
        metrics.queue_register("webhook_deliveries", deliveries_oldest_due)
        timeline.event_rows_register(selectors.delivery_timeline_rows)
