"""The operations console for payments: one module per area, registered on import."""

from payments.admin import ledger, payments, vault

__all__ = ["ledger", "payments", "vault"]
