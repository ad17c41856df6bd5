from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Customers, the card vault, payments, refunds, providers and the ledger."""

    name = "payments"

    def ready(self) -> None:
        import payments.fees  # noqa: F401 - connects the fee schedule's cache busting
