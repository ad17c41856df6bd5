from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Customers, the card vault, payments, refunds, providers and the ledger."""

    name = "payments"
