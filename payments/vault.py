"""What the vault seals on payments' rows: card numbers, billing details, customer PII.

Every value is sealed with envelope encryption (gateway.crypto) and bound to its
row's id, so a ciphertext moved to another row does not open.
"""

import json

from gateway import crypto
from gateway.audit import audit_record
from gateway.logging import request_id_var
from payments.models import Customer, PaymentMethod, ProviderAccount, ProviderOperation


def _seal_json(value: dict, *, row_id: str) -> bytes:
    return crypto.seal(json.dumps(value, separators=(",", ":")).encode(), aad=row_id.encode())


def _unseal_json(blob: bytes, *, row_id: str) -> dict:
    return json.loads(crypto.unseal(blob, aad=row_id.encode()))


def seal_card(payment_method: PaymentMethod, *, number: str, billing_details: dict) -> None:
    payment_method.card_ciphertext = crypto.seal(number.encode(), aad=payment_method.id.encode())
    payment_method.billing_ciphertext = _seal_json(billing_details, row_id=payment_method.id)


def card_number(payment_method: PaymentMethod) -> str:
    """The PAN, for the provider call only: never log, store or return it. Every
    attempt that opens it is audited when reserved (audit_detokenize)."""
    return crypto.unseal(payment_method.card_ciphertext, aad=payment_method.id.encode()).decode()


def audit_detokenize(operation: ProviderOperation) -> None:
    """Record that this authorization attempt will open its payment's card (T15: every
    detokenize is audited). Call in the transaction that reserves the attempt: written
    before the card is opened, a crash in between overstates the trail, never hides."""
    payment = operation.payment
    audit_record(
        actor="system",
        action="card.detokenize",
        obj=payment.payment_method,
        merchant_id=payment.merchant_id,
        reason=f"authorization attempt {operation.attempts} of {operation.id}",
        data={"payment": payment.id, "request_id": request_id_var.get()},
    )


def billing_details(payment_method: PaymentMethod) -> dict:
    return _unseal_json(payment_method.billing_ciphertext, row_id=payment_method.id)


def seal_customer_pii(customer: Customer, *, email: str, name: str, phone: str) -> None:
    customer.pii_ciphertext = _seal_json(
        {"email": email, "name": name, "phone": phone}, row_id=customer.id
    )
    customer.email_index = email_index(email, merchant_id=customer.merchant_id)


def email_index(email: str, *, merchant_id: str) -> str:
    """A blind index: what the customers list's `email` filter looks up, since the
    e-mail itself exists only sealed. Keyed and scoped to the merchant like a card's
    fingerprint; exact, as Stripe's filter is case-sensitive. Blank without an e-mail."""
    return crypto.fingerprint(email, scope=f"{merchant_id}:email") if email else ""


def customer_pii(customer: Customer) -> dict:
    """{"email", "name", "phone"} (empty strings when not given)."""
    return _unseal_json(customer.pii_ciphertext, row_id=customer.id)


def seal_provider_credentials(account: ProviderAccount, credentials: dict) -> None:
    account.credentials_ciphertext = _seal_json(credentials, row_id=account.id)


def provider_credentials(account: ProviderAccount) -> dict:
    """The account's secrets, for building its adapter only: never log or return them."""
    return _unseal_json(account.credentials_ciphertext, row_id=account.id)
