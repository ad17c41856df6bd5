from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    """The built-in sandbox acquirer: a stand-in for a real provider's systems.

    It keeps its own records (as a real acquirer would on its side), answers by the
    test cards and `simulate` scenarios of SPEC §4, and deduplicates every mutating
    request by the idempotency key the gateway sends. The gateway reaches it only
    through `payments.providers.simulator`, as it would reach a remote API.
    """

    name = "simulator"
    verbose_name = "Simulator (sandbox acquirer)"
