import pytest
from django.contrib.auth.models import User

from payments.admin.vault import mask_email, mask_name, mask_phone
from payments.models import PaymentMethod
from payments.tests.factories import CustomerFactory, PaymentMethodFactory
from payments.tests.helpers import card_body, random_pan

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = User.objects.create_superuser("alice", "alice@ops.test", "a-long-password-123")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "mask, value, shown",
    [
        (mask_email, "jenny.rosen@example.com", "j***@example.com"),
        (mask_email, "", "-"),
        (mask_name, "Jenny Rosen", "J*** R***"),
        (mask_phone, "+1 555 555 0199", "***99"),
    ],
)
def test_masks(mask, value, shown):
    assert mask(value) == shown


def test_customer_admin_shows_pii_masked_and_never_in_the_list(staff_client, merchant):
    # given
    customer = CustomerFactory(
        merchant=merchant, email="jenny.rosen@example.com", name="Jenny Rosen", phone="+1 555 0199"
    )
    PaymentMethodFactory(customer=customer)

    # when
    listing = staff_client.get("/admin/payments/customer/")
    page = staff_client.get(f"/admin/payments/customer/{customer.id}/change/")

    # then
    assert listing.status_code == page.status_code == 200
    assert customer.id.encode() in listing.content
    assert b"j***@example.com" in page.content
    assert b"J*** R***" in page.content
    for response in (listing, page):
        for secret in (b"jenny.rosen", b"Jenny", b"Rosen", b"555 0199"):
            assert secret not in response.content
    assert b"j***@example.com" not in listing.content


def test_payment_method_admin_shows_card_facts_but_never_the_number(staff_client, merchant):
    # given
    pan = random_pan("411111", 16)
    payment_method = PaymentMethodFactory(merchant=merchant, card=card_body(pan)["card"])

    # when
    listing = staff_client.get("/admin/payments/paymentmethod/")
    page = staff_client.get(f"/admin/payments/paymentmethod/{payment_method.id}/change/")

    # then
    assert listing.status_code == page.status_code == 200
    for response in (listing, page):
        content = response.content.decode()
        assert payment_method.card_fingerprint in content
        assert pan[-4:] in content
        assert pan not in content
        assert pan[:10] not in content
        assert payment_method.card_global_fingerprint not in content
        assert "ciphertext" not in content


def test_vault_admin_is_read_only(staff_client, merchant):
    # given
    payment_method = PaymentMethodFactory(customer=CustomerFactory(merchant=merchant))
    customer = payment_method.customer

    # when
    responses = [
        staff_client.get("/admin/payments/customer/add/"),
        staff_client.get("/admin/payments/paymentmethod/add/"),
        staff_client.post(f"/admin/payments/customer/{customer.id}/delete/", {"post": "yes"}),
        staff_client.post(
            f"/admin/payments/paymentmethod/{payment_method.id}/delete/", {"post": "yes"}
        ),
        staff_client.post(
            f"/admin/payments/paymentmethod/{payment_method.id}/change/", {"card_last4": "0000"}
        ),
    ]

    # then
    assert [r.status_code for r in responses] == [403, 403, 403, 403, 403]
    payment_method.refresh_from_db()
    assert payment_method.card_last4 == "4242"
    assert PaymentMethod.objects.count() == 1
