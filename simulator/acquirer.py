"""The simulated acquirer's "remote API": authorize, capture, void, refund, look up.

Each mutating call carries the caller's idempotency key. The first call with a key
is executed and its answer stored; any later call with that key gets the stored
answer and changes nothing, so a gateway retrying after a timeout never charges twice.
An authorization's answer is stored on the charge it creates (one INSERT, which is
its own transaction); the other calls' answers in SimulatedRequest. Answers are plain
dicts, as they would be if they came over HTTP.
"""

import secrets
from contextlib import nullcontext

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from simulator.cards import AUTHENTICATION_FAILED, outcome_for
from simulator.models import SimulatedCharge, SimulatedRequest


def _reference() -> str:
    return "sim_" + secrets.token_hex(12)


def _once(idempotency_key: str, operation: str, perform) -> dict:
    """Run `perform()` once per key; every call gets the first call's answer."""
    try:  # optimistic: the key is new almost always; a repeat rolls back its work
        with transaction.atomic():
            response = perform()
            SimulatedRequest.objects.create(
                idempotency_key=idempotency_key, operation=operation, response=response
            )
            return response
    except IntegrityError:  # an earlier or concurrent call with this key
        return SimulatedRequest.objects.get(idempotency_key=idempotency_key).response


def lookup(idempotency_key: str) -> dict | None:
    """The answer given to an earlier call with this key, or None if it never arrived."""
    authorization = SimulatedCharge.objects.filter(idempotency_key=idempotency_key)
    answer = authorization.values_list("answer", flat=True).first()
    if answer is not None:
        return answer
    later_call = SimulatedRequest.objects.filter(idempotency_key=idempotency_key)
    return later_call.values_list("response", flat=True).first()


def authorize(
    *,
    idempotency_key: str,
    amount_minor: int,
    currency: str,
    card_number: str,
    capture: bool,
    livemode: bool,
    off_session: bool,
    scenario: str,
    three_d_secure: bool = False,
) -> dict:
    outcome = outcome_for(
        card_number,
        livemode=livemode,
        scenario=scenario,
        off_session=off_session,
        three_d_secure=three_d_secure,
    )
    if outcome.result == "succeeded":
        status = "captured" if capture else "authorized"
    else:
        status = "authenticating" if outcome.result == "requires_action" else "failed"
    reference = _reference()
    answer = {
        "result": outcome.result,
        "reference": reference,
        "status": status,
        "decline_code": outcome.decline_code,
        "message": outcome.message,
    }
    now = timezone.now()
    charge = SimulatedCharge(
        reference=reference,
        idempotency_key=idempotency_key,
        answer=answer,
        livemode=livemode,
        status=status,
        amount_minor=amount_minor,
        currency=currency,
        amount_captured_minor=amount_minor if status == "captured" else 0,
        card_last4=card_number[-4:],
        decline_code=outcome.decline_code,
        captured_at=now if status == "captured" else None,
    )
    # Alone, the INSERT is its own transaction; inside one (a test's), a savepoint
    # keeps a refused INSERT from ending it.
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            charge.save(force_insert=True)
    except IntegrityError:  # an earlier or concurrent call with this key
        return SimulatedCharge.objects.values_list("answer", flat=True).get(
            idempotency_key=idempotency_key
        )
    return answer


def _charge_answer(charge: SimulatedCharge, result: str, message: str = "") -> dict:
    return {
        "result": result,
        "reference": charge.reference,
        "status": charge.status,
        "decline_code": "" if result == "succeeded" else "processing_error",
        "message": message,
    }


def complete_authentication(
    *, idempotency_key: str, reference: str, approved: bool, capture: bool
) -> dict:
    """The cardholder finished the 3-D Secure challenge of an authenticating charge:
    approved, the charge is authorized (and captured with `capture`); failed, it is
    declined with `authentication_failed`."""

    def perform() -> dict:
        charge = SimulatedCharge.objects.select_for_update().get(reference=reference)
        if charge.status != "authenticating":
            return _charge_answer(charge, "failed", "The charge is not awaiting authentication.")
        if not approved:
            charge.status, charge.decline_code = "failed", AUTHENTICATION_FAILED.decline_code
            charge.save(update_fields=["status", "decline_code"])
            return {
                **_charge_answer(charge, AUTHENTICATION_FAILED.result),
                "decline_code": AUTHENTICATION_FAILED.decline_code,
                "message": AUTHENTICATION_FAILED.message,
            }
        if capture:
            charge.status, charge.amount_captured_minor = "captured", charge.amount_minor
            charge.captured_at = timezone.now()
        else:
            charge.status = "authorized"
        charge.save(update_fields=["status", "amount_captured_minor", "captured_at"])
        return _charge_answer(charge, "succeeded")

    return _once(idempotency_key, "authenticate", perform)


def capture(*, idempotency_key: str, reference: str, amount_minor: int) -> dict:
    def perform() -> dict:
        charge = SimulatedCharge.objects.select_for_update().get(reference=reference)
        if charge.status != "authorized" or amount_minor > charge.amount_minor:
            return _charge_answer(charge, "failed", "The authorization cannot be captured.")
        charge.status, charge.amount_captured_minor = "captured", amount_minor
        charge.captured_at = timezone.now()
        charge.save(update_fields=["status", "amount_captured_minor", "captured_at"])
        return _charge_answer(charge, "succeeded")

    return _once(idempotency_key, "capture", perform)


def void(*, idempotency_key: str, reference: str) -> dict:
    def perform() -> dict:
        charge = SimulatedCharge.objects.select_for_update().get(reference=reference)
        if charge.status not in ("authorized", "authenticating"):
            return _charge_answer(charge, "failed", "The authorization cannot be voided.")
        charge.status = "voided"
        charge.save(update_fields=["status"])
        return _charge_answer(charge, "succeeded")

    return _once(idempotency_key, "void", perform)


def refund(*, idempotency_key: str, reference: str, amount_minor: int) -> dict:
    def perform() -> dict:
        charge = SimulatedCharge.objects.select_for_update().get(reference=reference)
        if charge.amount_refunded_minor + amount_minor > charge.amount_captured_minor:
            return _charge_answer(charge, "failed", "The refund exceeds the captured amount.")
        charge.amount_refunded_minor += amount_minor
        charge.save(update_fields=["amount_refunded_minor"])
        return {**_charge_answer(charge, "succeeded"), "reference": _reference()}

    return _once(idempotency_key, "refund", perform)
