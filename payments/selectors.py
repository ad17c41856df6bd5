"""Read use-cases for the API, the admin and reports: scoped to one merchant and mode,
except the operations dashboard's figures, which may span every merchant of a mode."""

from datetime import datetime

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from gateway.ids import id_floor
from payments import vault
from payments.enums import DeclineCode, PaymentStatus
from payments.ledger import MERCHANT_ACCOUNTS, Account, LedgerTransaction
from payments.models import Customer, Payment, PaymentMethod

# Failures that never reached an issuer's yes or no: screening stopped the payment, the
# card was a test card in live mode, or the cardholder failed 3-D Secure.
NOT_AUTHORIZATION_ATTEMPTS = (
    DeclineCode.FRAUD_BLOCKED,
    DeclineCode.LIVE_MODE_TEST_CARD,
    DeclineCode.AUTHENTICATION_FAILED,
)


def customer_list(*, merchant, livemode: bool, email: str | None = None) -> QuerySet[Customer]:
    """The merchant's customers in this mode; with `email`, those with exactly that one."""
    customers = Customer.objects.for_merchant(merchant, livemode=livemode)
    if email is not None:
        customers = customers.filter(email_index=vault.email_index(email, merchant_id=merchant.id))
    return customers


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


def payment_daily_figures(
    *, livemode: bool, since: datetime, merchant_id: str | None = None
) -> list[dict]:
    """Payments created since `since`, by day (UTC), currency and provider: how many,
    how many were authorized and declined, and the amount captured.

    The authorization rate is authorized / (authorized + declined); payments still
    waiting for an answer, and failures listed in NOT_AUTHORIZATION_ATTEMPTS, count in
    neither. The range of ids lets the primary key's index find the period (an id is
    never older than its payment: see gateway.ids); created_at makes it exact.
    """
    payments = Payment.objects.filter(
        livemode=livemode, id__gte=id_floor("pay", since), created_at__gte=since
    )
    if merchant_id:
        payments = payments.filter(merchant_id=merchant_id)
    declined = Q(status=PaymentStatus.FAILED) & ~Q(failure_code__in=NOT_AUTHORIZATION_ATTEMPTS)
    return list(
        payments.annotate(day=TruncDate("created_at"))
        .values("day", "currency", "provider")
        .annotate(
            created=Count("id"),
            authorized=Count("id", filter=Q(authorized_at__isnull=False)),
            declined=Count("id", filter=declined),
            captured_minor=Sum("amount_received_minor", default=0),
        )
        .order_by("day", "currency", "provider")
    )
