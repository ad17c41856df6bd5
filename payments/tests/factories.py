"""Factories that go through the services, so every ciphertext and event is real."""

import factory
from django.utils import timezone

from merchants.models import Merchant
from merchants.services import merchant_create
from payments.models import Customer, PaymentMethod
from payments.services.customers import customer_create
from payments.services.payment_methods import payment_method_create


def future_year(years: int = 3) -> int:
    return timezone.now().year + years


class MerchantFactory(factory.Factory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Merchant {n}")
    email = factory.Sequence(lambda n: f"ops{n}@merchant.test")

    @classmethod
    def _create(cls, model_class, **kwargs) -> Merchant:
        merchant, _keys = merchant_create(actor="test", **kwargs)
        return merchant


class CustomerFactory(factory.Factory):
    class Meta:
        model = Customer

    merchant = factory.SubFactory(MerchantFactory)
    livemode = False
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Sequence(lambda n: f"Customer {n}")
    phone = "+1 555 555 0100"

    @classmethod
    def _create(cls, model_class, **kwargs) -> Customer:
        return customer_create(**kwargs)


class PaymentMethodFactory(factory.Factory):
    """A tokenized card; with `customer=...` it is attached and takes its owner."""

    class Meta:
        model = PaymentMethod

    customer = None
    merchant = factory.LazyAttribute(
        lambda o: o.customer.merchant if o.customer else MerchantFactory()
    )
    livemode = factory.LazyAttribute(lambda o: o.customer.livemode if o.customer else False)
    card = factory.LazyFunction(
        lambda: {
            "number": "4242424242424242",
            "exp_month": 12,
            "exp_year": future_year(),
            "cvc": "123",
        }
    )
    billing_details = None
    metadata = None

    @classmethod
    def _create(cls, model_class, **kwargs) -> PaymentMethod:
        payment_method, _card = payment_method_create(**kwargs)
        return payment_method
