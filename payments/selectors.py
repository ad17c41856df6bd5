"""Read use-cases for the API and the admin: always scoped to one merchant and mode."""

from django.db.models import QuerySet

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
