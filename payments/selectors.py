"""Read use-cases for payments' API, admin and reports."""

from django.db.models import Q, QuerySet, Sum

from payments.ledger import MERCHANT_ACCOUNTS, Account, LedgerTransaction


def balance_transaction_list(*, merchant, livemode: bool) -> QuerySet:
    """Ledger transactions as the merchant sees them: gross `amount`, `fee` and `net`,
    derived from the entries (net is what the merchant's balance moved by)."""
    return LedgerTransaction.objects.filter(merchant=merchant, livemode=livemode).annotate(
        net_minor=-Sum(
            "entries__amount_minor", filter=Q(entries__account__in=MERCHANT_ACCOUNTS), default=0
        ),
        fee_minor=-Sum(
            "entries__amount_minor", filter=Q(entries__account=Account.FEE_REVENUE), default=0
        ),
        available_minor=Sum(
            "entries__amount_minor",
            filter=Q(entries__account=Account.MERCHANT_AVAILABLE),
            default=0,
        ),
    )
