"""What every payment provider adapter offers, and what it answers.

Adapters translate between these dataclasses and a provider's API. They never touch
the ORM and are never called inside a database transaction: services reserve a
ProviderOperation first, call the adapter with its idempotency key, then apply.
"""

from dataclasses import dataclass, field
from typing import Protocol


class Outcome:
    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"
    DECLINED = "declined"  # a hard decline: never retried elsewhere
    FAILED = "failed"  # a processing error: retryable


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
    card: Card
    capture: bool
    livemode: bool
    off_session: bool = False
    simulate: str = ""
    statement_descriptor: str = ""
    three_d_secure: bool = False  # ask for a 3-D Secure challenge (fraud screening wants one)


@dataclass(frozen=True)
class ProviderResult:
    outcome: str
    reference: str = ""
    decline_code: str = ""
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.outcome == Outcome.SUCCEEDED


class ProviderError(Exception):
    """The call did not produce an answer."""


class ProviderTimeout(ProviderError):
    """No answer in time: the operation may or may not have happened upstream."""


class ProviderUnavailable(ProviderError):
    """The provider refused or could not be reached: the operation did not happen."""


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

    def lookup(self, *, idempotency_key: str) -> ProviderResult | None:
        """The answer to an earlier call with this key; None if it never arrived."""
