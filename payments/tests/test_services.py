import threading

import pytest
from django.db import connection

from gateway.api.errors import InvalidRequestError
from gateway.events import Event
from payments import vault
from payments.models import Customer, PaymentMethod
from payments.services import customers as customer_services
from payments.services import payment_methods as payment_method_services
from payments.services.customers import NOT_GIVEN, customer_create, customer_update
from payments.services.payment_methods import (
    payment_method_attach,
    payment_method_create,
    payment_method_detach,
)
from payments.tests.factories import CustomerFactory, MerchantFactory, PaymentMethodFactory
from payments.tests.helpers import card_body


@pytest.mark.django_db
def test_customer_create_seals_pii_and_emits_its_event(merchant):
    # when
    customer = customer_create(
        merchant=merchant, livemode=True, email="a@example.com", name="A", metadata={"x": ""}
    )

    # then
    assert vault.customer_pii(customer) == {"email": "a@example.com", "name": "A", "phone": ""}
    assert b"a@example.com" not in bytes(customer.pii_ciphertext)
    assert customer.metadata == {}  # an empty value means "not set", as in Stripe
    event = Event.objects.get(object_id=customer.id)
    assert (event.type, event.livemode, event.merchant_id) == (
        "customer.created",
        True,
        merchant.id,
    )


@pytest.mark.django_db
def test_a_failing_event_rolls_the_change_back(merchant, monkeypatch):
    # given
    customer = CustomerFactory(merchant=merchant)

    def broken_emit(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(customer_services, "event_emit", broken_emit)
    monkeypatch.setattr(payment_method_services, "event_emit", broken_emit)

    # when
    with pytest.raises(RuntimeError):
        customer_create(merchant=merchant, livemode=False, email="b@example.com")
    with pytest.raises(RuntimeError):
        payment_method_create(
            merchant=merchant, livemode=False, card=card_body()["card"], customer=customer
        )

    # then
    assert Customer.objects.count() == 1
    assert not PaymentMethod.objects.exists()


@pytest.mark.django_db
def test_customer_update_keeps_what_was_not_given(merchant):
    # given
    customer = CustomerFactory(merchant=merchant, email="k@example.com", name="K", phone="1")
    sealed = bytes(customer.pii_ciphertext)

    # when
    updated = customer_update(customer=customer, description="d", phone=NOT_GIVEN)

    # then
    assert bytes(updated.pii_ciphertext) == sealed  # PII untouched, not even re-sealed
    assert vault.customer_pii(updated) == {"email": "k@example.com", "name": "K", "phone": "1"}
    assert updated.description == "d"


@pytest.mark.django_db
def test_payment_methods_attach_only_within_one_merchant_and_mode(merchant):
    # given
    other = MerchantFactory()
    payment_method = PaymentMethodFactory(merchant=merchant)
    live_customer = CustomerFactory(merchant=merchant, livemode=True)

    for customer in (CustomerFactory(merchant=other), live_customer):
        # when / then
        with pytest.raises(ValueError):
            payment_method_attach(payment_method=payment_method, customer=customer)
        with pytest.raises(ValueError):
            payment_method_create(
                merchant=merchant, livemode=False, card=card_body()["card"], customer=customer
            )
    payment_method.refresh_from_db()
    assert payment_method.customer is None


@pytest.mark.django_db
def test_the_default_must_be_one_of_the_customers_payment_methods(merchant):
    customer = CustomerFactory(merchant=merchant)
    payment_method = PaymentMethodFactory(merchant=merchant)

    with pytest.raises(InvalidRequestError):
        customer_update(customer=customer, default_payment_method=payment_method)


@pytest.mark.django_db
def test_detach_clears_the_default_and_says_so(merchant):
    # given
    customer = CustomerFactory(merchant=merchant)
    payment_method = PaymentMethodFactory(customer=customer)
    customer_update(customer=customer, default_payment_method=payment_method)

    # when
    payment_method_detach(payment_method=payment_method)

    # then
    customer.refresh_from_db()
    assert customer.default_payment_method is None
    # (ids made within one millisecond are unordered, so compare as a multiset)
    assert sorted(Event.objects.values_list("type", "object_id")) == sorted(
        [
            ("customer.created", customer.id),
            ("payment_method.attached", payment_method.id),
            ("customer.updated", customer.id),
            ("payment_method.detached", payment_method.id),
            ("customer.updated", customer.id),
        ]
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_attaches_to_different_customers_one_wins(merchant):
    # given
    payment_method = PaymentMethodFactory(merchant=merchant)
    customers = [CustomerFactory(merchant=merchant) for _ in range(8)]
    barrier = threading.Barrier(len(customers))
    outcomes = []

    def attach(customer):
        try:
            barrier.wait()
            payment_method_attach(payment_method=payment_method, customer=customer)
            outcomes.append("attached")
        except InvalidRequestError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=attach, args=(c,)) for c in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then
    assert sorted(outcomes) == ["attached"] + ["payment_method_unexpected_state"] * 7
    assert Event.objects.filter(type="payment_method.attached").count() == 1
    payment_method.refresh_from_db()
    assert payment_method.customer_id in {c.id for c in customers}
