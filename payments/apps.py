from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Customers, the card vault, payments, refunds, providers and the ledger."""

    name = "payments"

    def ready(self) -> None:
        # Importing them connects the cache busting of fee schedules and of routing.
        from payments import fees  # noqa: F401
        from payments.services import provider_accounts  # noqa: F401
        from gateway import sealed
        from payments.models import Customer, PaymentMethod, ProviderAccount

        sealed.register(Customer, "pii_ciphertext")
        sealed.register(PaymentMethod, "card_ciphertext", "billing_ciphertext")
        sealed.register(ProviderAccount, "credentials_ciphertext")
