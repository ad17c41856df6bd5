"""What every payment provider adapter offers, and what it answers.

Adapters translate between these dataclasses and a provider's API. They never touch
the ORM and are never called inside a database transaction: services reserve a
ProviderOperation first, call the adapter with its idempotency key, then apply.
Every network call an adapter makes has explicit connect and read timeouts.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


class Outcome:
    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"
    PENDING = "pending"  # accepted; the customer must approve at the provider (PayPal)
    DECLINED = "declined"  # a hard decline: never retried elsewhere
    FAILED = "failed"  # a processing error: retryable, also at another provider


@dataclass(frozen=True)
class Card:
    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    brand: str
    cvc: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AuthorizationRequest:
    idempotency_key: str
    amount_minor: int
    currency: str
    card: Card | None  # None for wallet flows (PayPal) where the customer pays upstream
    capture: bool
    livemode: bool
    off_session: bool = False
    simulate: str = ""
    statement_descriptor: str = ""
    description: str = ""
    payment_id: str = ""
    # Where the provider sends the customer back (3-D Secure, PayPal approval).
    return_url: str = ""
    # The provider's object for this authorization, when prepare_authorization made it.
    reference: str = ""
    three_d_secure: bool = False  # ask for a 3-D Secure challenge (fraud screening wants one)


@dataclass(frozen=True)
class ProviderResult:
    outcome: str
    reference: str = ""
    decline_code: str = ""
    message: str = ""
    # Where to send the customer for REQUIRES_ACTION / PENDING, when the provider says.
    redirect_url: str = ""

    @property
    def succeeded(self) -> bool:
        return self.outcome == Outcome.SUCCEEDED


@dataclass(frozen=True)
class ProviderRefundState:
    reference: str
    status: str  # succeeded, pending, failed
    amount_minor: int
    idempotency_key: str = ""  # ours, when the refund was made through the gateway


@dataclass(frozen=True)
class ProviderPaymentState:
    """A provider's current view of one payment, fetched on demand (webhooks, returns).

    status: `pending` (waiting for the customer or the provider), `approved` (the
    customer approved; we still have to capture), `requires_action`, `authorized`,
    `captured`, `canceled`, `failed`.
    """

    reference: str
    status: str
    amount_captured_minor: int = 0
    decline_code: str = ""
    message: str = ""
    redirect_url: str = ""
    refunds: tuple[ProviderRefundState, ...] = ()


@dataclass(frozen=True)
class ProviderWebhookEvent:
    """A verified inbound event: its id, type and the provider object it concerns."""

    id: str
    type: str
    object_id: str  # the payment's provider reference (PaymentIntent, PayPal order)


def as_mapping(value) -> Mapping:
    """`value` if it is a JSON object, else an empty one: a provider's event is read
    as any input, and a field of the wrong type is a missing one, never a crash."""
    return value if isinstance(value, dict) else {}


class ProviderError(Exception):
    """The call did not produce an answer."""


class ProviderTimeout(ProviderError):
    """No answer in time: the operation may or may not have happened upstream."""


class ProviderPending(ProviderTimeout):
    """The provider answered that the outcome is not final yet; ask again later."""


class ProviderUnavailable(ProviderError):
    """The provider refused or could not be reached: the operation did not happen."""


class WebhookInvalid(Exception):
    """An inbound webhook whose signature, timestamp or verification failed."""


class Provider(Protocol):
    name: str

    def authorize(self, request: AuthorizationRequest) -> ProviderResult: ...

    def capture(
        self, *, idempotency_key: str, reference: str, amount_minor: int, currency: str
    ) -> ProviderResult: ...

    def void(self, *, idempotency_key: str, reference: str) -> ProviderResult: ...

    def complete_authentication(
        self, *, idempotency_key: str, reference: str, approved: bool, capture: bool
    ) -> ProviderResult:
        """Finish the 3-D Secure challenge of an authorization that required action:
        approved, it is authorized (captured with `capture`); failed, declined."""

    def refund(
        self, *, idempotency_key: str, reference: str, amount_minor: int, currency: str
    ) -> ProviderResult: ...

    def lookup(
        self, *, idempotency_key: str, kind: str = "", reference: str = ""
    ) -> ProviderResult | None:
        """The answer to an earlier call with this key; None if it never arrived.

        `kind` is the operation's kind and `reference` the provider object it acted on
        (or made), when known: providers that look answers up by object need them.
        """

    def lookup_proves_absence(self, *, kind: str, reference: str) -> bool:
        """Whether lookup's None means the call was never carried out (the provider's
        object shows it), rather than that it cannot tell and a resend under the same
        key must ask."""

    # Optional, for providers with a create-then-confirm flow (Stripe):
    #   prepare_authorization(request) -> str  creates the provider's object without
    #   moving money and returns its id, which is stored before authorize() runs, so a
    #   timed-out authorization can be looked up by that id.
    # Optional, for providers that send webhooks and can be asked about a payment:
    #   payment_state(reference) -> ProviderPaymentState
    #   webhook_event(body: bytes, headers: Mapping[str, str]) -> ProviderWebhookEvent
