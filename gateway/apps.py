from django.apps import AppConfig


class GatewayConfig(AppConfig):
    """The shared kernel: ids, money, idempotency, events, API conventions."""

    name = "gateway"
    verbose_name = "Gateway"

    def ready(self) -> None:
        from gateway import audit, checks, metrics, sealed  # noqa: F401 - they register hooks
        from gateway.events import events_oldest_undispatched
        from gateway.idempotency import IdempotencyKey
        from gateway.logging import install_redaction

        metrics.name_files_per_host()
        metrics.queue_register("event_outbox", events_oldest_undispatched)
        install_redaction()
        sealed.register(IdempotencyKey, "response_body")
