"""Customers: create and update, with e-mail, name and phone sealed in the vault."""

from django.db import transaction

from gateway.api.errors import InvalidRequestError
from gateway.api.fields import METADATA_MAX_KEYS
from gateway.events import event_emit
from payments import vault
from payments.models import Customer, PaymentMethod

# Marks a keyword the caller did not pass, as opposed to None ("clear it").
NOT_GIVEN = object()


def customer_snapshot(customer: Customer) -> dict:
    """The customer as the API renders it, without its PII: events are stored in clear,
    so they carry e-mail, name and phone as null (receivers fetch the customer)."""
    # Imported here: the API module imports this one.
    from payments.api.customers import CustomerOutputSerializer

    return CustomerOutputSerializer(customer, context={"redact_pii": True}).data


def metadata_merge(current: dict, changes: dict | None) -> dict:
    """Stripe's rules: keys are merged, an empty value removes its key, None clears all."""
    if changes is None:
        return {}
    merged = {**current, **changes}
    merged = {key: value for key, value in merged.items() if value != ""}
    if len(merged) > METADATA_MAX_KEYS:
        raise InvalidRequestError(
            f"Metadata can have at most {METADATA_MAX_KEYS} keys.",
            code="parameter_invalid",
            param="metadata",
        )
    return merged


@transaction.atomic
def customer_create(
    *,
    merchant,
    livemode: bool,
    email: str = "",
    name: str = "",
    phone: str = "",
    description: str = "",
    metadata: dict | None = None,
) -> Customer:
    """Create a customer; e-mail, name and phone exist only as vault ciphertext.

    Emits `customer.created` in the same transaction.
    """
    customer = Customer(
        merchant=merchant,
        livemode=livemode,
        description=description or "",
        metadata=metadata_merge({}, metadata or {}),
    )
    vault.seal_customer_pii(customer, email=email or "", name=name or "", phone=phone or "")
    customer.save(force_insert=True)
    event_emit(
        type="customer.created",
        snapshot=customer_snapshot(customer),
        merchant_id=merchant.id,
        livemode=livemode,
    )
    return customer


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    email=NOT_GIVEN,
    name=NOT_GIVEN,
    phone=NOT_GIVEN,
    description=NOT_GIVEN,
    metadata=NOT_GIVEN,
    default_payment_method=NOT_GIVEN,
) -> Customer:
    """Change the given fields (None or "" clears one). The default payment method must
    be attached to this customer. Emits `customer.updated` if anything changed.

    Locks the payment method before the customer, the order detach uses too.
    """
    if default_payment_method not in (NOT_GIVEN, None):
        default_payment_method = PaymentMethod.objects.select_for_update().get(
            pk=default_payment_method.pk
        )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    previous = customer_snapshot(customer)
    before = (bytes(customer.pii_ciphertext), customer.description, customer.metadata)
    previous_default = customer.default_payment_method_id

    pii = vault.customer_pii(customer)
    changes = {"email": email, "name": name, "phone": phone}
    new_pii = {
        key: pii.get(key, "") if value is NOT_GIVEN else (value or "")
        for key, value in changes.items()
    }
    if new_pii != {key: pii.get(key, "") for key in changes}:
        vault.seal_customer_pii(customer, **new_pii)
    if description is not NOT_GIVEN:
        customer.description = description or ""
    if metadata is not NOT_GIVEN:
        customer.metadata = metadata_merge(customer.metadata, metadata)
    if default_payment_method is not NOT_GIVEN:
        if default_payment_method is not None and default_payment_method.customer_id != customer.id:
            raise InvalidRequestError(
                f"The customer does not have a payment method with the ID "
                f"'{default_payment_method.id}'. Attach it to the customer first.",
                code="resource_missing",
                param="default_payment_method",
            )
        customer.default_payment_method = default_payment_method

    after = (bytes(customer.pii_ciphertext), customer.description, customer.metadata)
    if before == after and previous_default == customer.default_payment_method_id:
        return customer
    customer.save()
    event_emit(
        type="customer.updated",
        snapshot=customer_snapshot(customer),
        merchant_id=customer.merchant_id,
        livemode=customer.livemode,
        previous=previous,
    )
    return customer
