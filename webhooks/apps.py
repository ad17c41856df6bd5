from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks: endpoints, fan-out from the event outbox, signed delivery."""

    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from gateway import sealed
        from webhooks import (
            checks,  # noqa: F401 - registers the settings checks
            selectors,  # noqa: F401 - connects its cache busting
        )
        from webhooks.models import WebhookEndpoint

        sealed.register(WebhookEndpoint, "secret_ciphertext", "previous_secret_ciphertext")
