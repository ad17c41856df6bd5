"""Every event type a merchant can subscribe an endpoint to: the one catalogue.

`enabled_events` is checked against it (or is `["*"]`). A type emitted somewhere in
the gateway belongs here before merchants can ask for it by name.
"""

WILDCARD = "*"

EVENT_TYPES: tuple[str, ...] = (
    # payments (payments.services: one event per status the payment enters)
    "payment.created",
    "payment.processing",
    "payment.requires_action",
    "payment.authorized",
    "payment.captured",
    "payment.failed",
    "payment.canceled",
    "payment.in_review",
    "payment.partially_refunded",
    "payment.refunded",
    "refund.created",
    "refund.succeeded",
    "refund.failed",
    # customers and the vault
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "payment_method.attached",
    "payment_method.detached",
    # disputes
    "dispute.created",
    "dispute.updated",
    "dispute.closed",
    "dispute.funds_withdrawn",
    "dispute.funds_reinstated",
    # billing
    "invoice.created",
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
    "invoice.marked_uncollectible",
    "invoice.voided",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
    # payouts
    "payout.created",
    "payout.paid",
    "payout.failed",
    # fraud review
    "review.opened",
    "review.closed",
    # webhooks themselves
    "webhook_endpoint.disabled",
)

EVENT_TYPE_SET = frozenset(EVENT_TYPES)


def is_subscribed(enabled_events: list[str], event_type: str) -> bool:
    """True when an endpoint with these `enabled_events` wants events of this type."""
    return WILDCARD in enabled_events or event_type in enabled_events
