from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Customers, the card vault, payments, refunds, providers and the ledger."""

    name = "payments"

    def ready(self) -> None:
        from gateway import metrics, sealed
        from payments import fees  # noqa: F401 - connects its cache busting
        from payments.metrics import operations_oldest_pending
        from payments.models import Customer, Payment, PaymentMethod, ProviderAccount
        from payments.services import provider_accounts  # noqa: F401 - connects its cache busting

        sealed.register(Customer, "pii_ciphertext")
        sealed.register(PaymentMethod, "card_ciphertext", "billing_ciphertext")
        sealed.register(ProviderAccount, "credentials_ciphertext")
        sealed.register(Payment, "risk_context_ciphertext")
        metrics.queue_register("provider_operations", operations_oldest_pending)
