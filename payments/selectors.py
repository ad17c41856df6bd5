"""Read use-cases for the API, the admin and reports: always scoped to one merchant
and mode."""

from django.db.models import Q, QuerySet, Sum

from payments.ledger import MERCHANT_ACCOUNTS, Account, LedgerTransaction
from payments.models import Customer, PaymentMethod


def customer_list(*, merchant, livemode: bool) -> QuerySet[Customer]:
    return Customer.objects.for_merchant(merchant, livemode=livemode)


def payment_method_list(
    *, merchant, livemode: bool, customer: Customer, type: str | None = None
) -> QuerySet[PaymentMethod]:
    """The payment methods attached to `customer` (of this merchant and mode)."""
    queryset = PaymentMethod.objects.for_merchant(merchant, livemode=livemode).filter(
        customer=customer
    )
    if type is not None:
        queryset = queryset.filter(type=type)
    return queryset


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
