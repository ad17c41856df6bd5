from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks: endpoints, fan-out from the event outbox, signed delivery."""

    name = "webhooks"
    verbose_name = "Webhooks"
