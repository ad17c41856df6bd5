from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Customers, the card vault, payments, refunds, providers and the ledger."""

    name = "payments"

    def ready(self) -> None:
        import payments.fees  # noqa: F401 - connects the fee schedule's cache busting
        import payments.services.provider_accounts  # noqa: F401 - and the routing cache's
        from gateway import sealed
        from payments.models import Customer, PaymentMethod, ProviderAccount

        sealed.register(Customer, "pii_ciphertext")
        sealed.register(PaymentMethod, "card_ciphertext", "billing_ciphertext")
        sealed.register(ProviderAccount, "credentials_ciphertext")
