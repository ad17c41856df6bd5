"""The double-entry ledger: append-only, every transaction sums to zero per currency.

Entries are signed minor units, debits positive and credits negative. Accounts:

- `provider_clearing`: what providers owe us for captured money (asset).
- `merchant_pending` / `merchant_available`: what we owe a merchant (liability).
- `fee_revenue`: the gateway's fees (revenue).

A capture of A with fee F posts provider_clearing +A, merchant_pending -(A-F),
fee_revenue -F. A refund of R posts merchant_pending +R, provider_clearing -R.
Rows are never updated or deleted (a database trigger refuses it); corrections are
new, reversing transactions.
"""

from collections import defaultdict

from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone

from gateway.db import in_transaction
from gateway.ids import PrefixedIdField


class Account(models.TextChoices):
    PROVIDER_CLEARING = "provider_clearing"
    MERCHANT_PENDING = "merchant_pending"
    MERCHANT_AVAILABLE = "merchant_available"
    FEE_REVENUE = "fee_revenue"


MERCHANT_ACCOUNTS = (Account.MERCHANT_PENDING, Account.MERCHANT_AVAILABLE)


class TransactionType(models.TextChoices):
    CHARGE = "charge"
    REFUND = "refund"
    REFUND_FAILURE = "refund_failure"
    ADJUSTMENT = "adjustment"


class UnbalancedTransaction(ValueError):
    """Entries that do not sum to zero in some currency."""


class LedgerTransaction(models.Model):
    id = PrefixedIdField(prefix="txn")
    # Indexed first in ledger_txn_list (and the entries' in ledger_entry_balance).
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, db_index=False)
    livemode = models.BooleanField()
    type = models.CharField(max_length=24, choices=TransactionType.choices)
    currency = models.CharField(max_length=3)
    source_id = models.CharField(max_length=40, help_text="pay_… or re_… that caused it")
    payment = models.ForeignKey(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_transactions",
    )
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "payments"
        ordering = ["-id"]
        indexes = [models.Index(fields=["merchant", "livemode", "-id"], name="ledger_txn_list")]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class LedgerEntry(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.CharField(max_length=24, choices=Account.choices)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, db_index=False)
    livemode = models.BooleanField()
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField(help_text="debit positive, credit negative")

    class Meta:
        app_label = "payments"
        indexes = [
            models.Index(
                fields=["merchant", "livemode", "account", "currency"], name="ledger_entry_balance"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="ledger_entry_nonzero")
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_minor} {self.currency}"


def ledger_post(
    *,
    merchant_id: str,
    livemode: bool,
    type: str,
    currency: str,
    source_id: str,
    entries: list[tuple[str, int]],
    payment=None,
    description: str = "",
) -> LedgerTransaction:
    """Write one balanced transaction. Runs inside the caller's transaction."""
    if not in_transaction():
        raise RuntimeError("ledger_post must run inside the transaction of the change")
    entries = [(account, amount) for account, amount in entries if amount]
    if not entries or sum(amount for _, amount in entries) != 0:
        raise UnbalancedTransaction(f"{type} {source_id}: {entries}")
    txn = LedgerTransaction.objects.create(
        merchant_id=merchant_id,
        livemode=livemode,
        type=type,
        currency=currency,
        source_id=source_id,
        payment=payment,
        description=description,
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            transaction=txn,
            account=account,
            merchant_id=merchant_id,
            livemode=livemode,
            currency=currency,
            amount_minor=amount,
        )
        for account, amount in entries
    )
    return txn


def merchant_balances(*, merchant_id: str, livemode: bool) -> dict[str, dict[str, int]]:
    """{"available": {currency: amount}, "pending": {...}}: what we owe the merchant."""
    rows = (
        LedgerEntry.objects.filter(
            merchant_id=merchant_id, livemode=livemode, account__in=MERCHANT_ACCOUNTS
        )
        .values("account", "currency")
        .annotate(total=Sum("amount_minor"))
    )
    balances = {"available": defaultdict(int), "pending": defaultdict(int)}
    for row in rows:
        bucket = "available" if row["account"] == Account.MERCHANT_AVAILABLE else "pending"
        balances[bucket][row["currency"]] -= row["total"]  # liabilities are credits
    return {bucket: dict(amounts) for bucket, amounts in balances.items()}


def unbalanced_transactions() -> models.QuerySet:
    """Transactions whose entries do not sum to zero (each has one currency)."""
    return (
        LedgerTransaction.objects.annotate(total=Sum("entries__amount_minor"))
        .exclude(total=0)
        .values_list("id", "total")
    )
