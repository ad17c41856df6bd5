"""The operations console for payments: one module per area, registered on import."""

from payments.admin import ledger, payments, providers, vault

__all__ = ["ledger", "payments", "providers", "vault"]
