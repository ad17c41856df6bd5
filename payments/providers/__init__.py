"""Payment provider adapters, built from a provider account's kind and credentials.

No ORM here: services unseal an account's credentials and ask `build_provider` for its
adapter. The built-in simulator needs no account.
"""

from django.conf import settings

from payments.providers.base import Provider
from payments.providers.simulator import SimulatorProvider

BUILTIN_SIMULATOR = SimulatorProvider()


def build_provider(
    *, provider: str, credentials: dict, livemode: bool, api_base: str = ""
) -> Provider:
    """A ready adapter; timeouts and retries come from the settings at build time."""
    if provider == "simulator":
        return BUILTIN_SIMULATOR
    timeout = (settings.PROVIDER_CONNECT_TIMEOUT, settings.PROVIDER_READ_TIMEOUT)
    if provider == "stripe":
        from payments.providers.stripe import StripeProvider

        return StripeProvider(
            secret_key=credentials["secret_key"],
            webhook_secret=credentials.get("webhook_secret", ""),
            api_base=api_base,
            timeout=timeout,
            max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
            webhook_tolerance=settings.STRIPE_WEBHOOK_TOLERANCE,
        )
    if provider == "paypal":
        from payments.providers.paypal import PayPalProvider

        return PayPalProvider(
            client_id=credentials["client_id"],
            client_secret=credentials["client_secret"],
            webhook_id=credentials.get("webhook_id", ""),
            livemode=livemode,
            api_base=api_base,
            timeout=timeout,
        )
    raise ValueError(f"unknown provider {provider!r}")
