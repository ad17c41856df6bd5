from django.apps import AppConfig


class GatewayConfig(AppConfig):
    """The shared kernel: ids, money, idempotency, events, API conventions."""

    name = "gateway"
    verbose_name = "Gateway"

    def ready(self) -> None:
        from gateway import sealed
        from gateway.idempotency import IdempotencyKey
        from gateway.logging import install_redaction

        install_redaction()
        sealed.register(IdempotencyKey, "response_body")
