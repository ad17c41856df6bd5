"""T13: key rotation with `manage.py rotate_keys`."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from gateway import crypto, sealed
from payments import vault
from payments.models import Customer, PaymentMethod
from payments.tests.factories import CustomerFactory, PaymentMethodFactory
from payments.tests.helpers import card_body, random_pan

pytestmark = pytest.mark.django_db

OLD = crypto.generate_key_setting("old")
NEW = crypto.generate_key_setting("new")


def _rotate(**options) -> str:
    out = io.StringIO()
    call_command("rotate_keys", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def _sealed_values() -> list[tuple[str, bytes]]:
    """(row id, blob) for every sealed column of every row."""
    return [
        (row.pk, bytes(getattr(row, column)))
        for model, columns in sealed.sealed_columns().items()
        for row in model.objects.order_by("pk")
        for column in columns
        if getattr(row, column) is not None
    ]


def _key_ids() -> set[str]:
    return {crypto.key_id(blob) for _row_id, blob in _sealed_values()}


@pytest.fixture
def sealed_under_old(settings, merchant):
    """Three customers and four cards sealed under the key `old` alone; returns the
    cards' numbers by payment method id."""
    settings.VAULT_KEYS = OLD
    for i in range(3):
        CustomerFactory(merchant=merchant, email=f"c{i}@example.com")
    pans = [random_pan() for _ in range(4)]
    payment_methods = [
        PaymentMethodFactory(
            merchant=merchant, card=card_body(pan)["card"], billing_details={"name": f"N{i}"}
        )
        for i, pan in enumerate(pans)
    ]
    assert _key_ids() == {"old"}
    return dict(zip([pm.id for pm in payment_methods], pans, strict=True))


def test_rotate_keys_rewraps_every_row_and_everything_still_opens(settings, sealed_under_old):
    # given
    pans = sealed_under_old
    before = _sealed_values()
    settings.VAULT_KEYS = f"{NEW},{OLD}"

    # when
    output = _rotate(batch_size=2)

    # then
    assert "Re-wrapped 7 of 7 sealed rows under key 'new' (0 already were)." in output
    assert _key_ids() == {"new"}
    for payment_method in PaymentMethod.objects.all():
        assert vault.card_number(payment_method) == pans[payment_method.id]
        assert vault.billing_details(payment_method)["name"].startswith("N")
    emails = {vault.customer_pii(customer)["email"] for customer in Customer.objects.all()}
    assert emails == {"c0@example.com", "c1@example.com", "c2@example.com"}
    # Only the wrapped data key changed; the nonce and the bulk ciphertext are untouched.
    bulk = 3 + len("old") + crypto.NONCE + crypto.WRAPPED_DEK
    for (row_id, old_blob), (same_row_id, new_blob) in zip(before, _sealed_values(), strict=True):
        assert row_id == same_row_id
        assert old_blob != new_blob
        assert old_blob[bulk:] == new_blob[bulk:]


def test_after_rotation_only_the_new_key_encrypts_and_the_old_one_no_longer_opens(
    settings, merchant, sealed_under_old
):
    # given
    settings.VAULT_KEYS = f"{NEW},{OLD}"
    _rotate()
    old_only = crypto.KeyRing.from_setting(OLD)

    # when
    fresh = PaymentMethodFactory(merchant=merchant)

    # then
    assert crypto.key_id(fresh.card_ciphertext) == "new"
    for payment_method in PaymentMethod.objects.all():
        with pytest.raises(crypto.VaultError):
            crypto.unseal(
                payment_method.card_ciphertext, aad=payment_method.id.encode(), ring=old_only
            )
    settings.VAULT_KEYS = NEW  # the last step of a rotation: drop the old key
    assert all(vault.card_number(pm) for pm in PaymentMethod.objects.all())
    assert all(vault.customer_pii(c) for c in Customer.objects.all())


def test_rotate_keys_twice_is_a_no_op_the_second_time(settings, sealed_under_old):
    # given
    settings.VAULT_KEYS = f"{NEW},{OLD}"
    _rotate()
    after_first = _sealed_values()

    # when
    output = _rotate()

    # then
    assert "Re-wrapped 0 of 7 sealed rows under key 'new' (7 already were)." in output
    assert _sealed_values() == after_first


def test_rotate_keys_resumes_after_a_crash(settings, monkeypatch, sealed_under_old):
    # given
    settings.VAULT_KEYS = f"{NEW},{OLD}"
    real_rewrap, calls = crypto.rewrap, []

    def crashing_rewrap(blob, **kwargs):
        calls.append(1)
        if len(calls) > 3:
            raise RuntimeError("worker killed")
        return real_rewrap(blob, **kwargs)

    monkeypatch.setattr(crypto, "rewrap", crashing_rewrap)

    # when
    with pytest.raises(RuntimeError):
        _rotate(batch_size=2)
    half_done = _key_ids()
    monkeypatch.setattr(crypto, "rewrap", real_rewrap)
    output = _rotate(batch_size=2)

    # then
    assert half_done == {"old", "new"}  # committed batches stayed, the failed one rolled back
    assert {crypto.key_id(c.pii_ciphertext) for c in Customer.objects.all()} == {"new"}
    assert "Re-wrapped 4 of 7 sealed rows under key 'new' (3 already were)." in output
    assert _key_ids() == {"new"}


def test_rotate_keys_stops_when_an_old_key_was_dropped_too_early(settings, sealed_under_old):
    # given
    settings.VAULT_KEYS = NEW

    # when / then: the error names the first row it could not open
    with pytest.raises(CommandError, match="Is every older key still in VAULT_KEYS") as raised:
        _rotate()
    row_id = re.search(r"row (\w+) \((\w+)\): ", str(raised.value)).group(1)
    assert (
        Customer.objects.filter(pk=row_id).exists()
        or PaymentMethod.objects.filter(pk=row_id).exists()
    )
    assert _key_ids() == {"old"}


def test_rotate_keys_refuses_a_batch_size_below_one():
    with pytest.raises(CommandError):
        _rotate(batch_size=0)


def test_every_sealed_column_of_every_app_is_rotated(settings, test_client):
    """Webhook signing secrets and stored idempotent answers rotate with the vault."""
    # given: a webhook endpoint created with an Idempotency-Key, all under `old`
    settings.VAULT_KEYS = OLD
    created = test_client.post(
        "/v1/webhook_endpoints",
        {"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="endpoint-1",
    )
    assert created.status_code == 200, created.json()
    assert {model._meta.label for model in sealed.sealed_columns()} >= {
        "webhooks.WebhookEndpoint",
        "gateway.IdempotencyKey",
        "payments.ProviderAccount",
        "payments.Payment",
    }
    settings.VAULT_KEYS = f"{NEW},{OLD}"

    # when
    _rotate()

    # then: everything is under `new` alone, and still opens with `new` only
    assert _key_ids() == {"new"}
    settings.VAULT_KEYS = NEW
    replay = test_client.post(
        "/v1/webhook_endpoints",
        {"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="endpoint-1",
    )
    assert replay.content == created.content
