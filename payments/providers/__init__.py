"""Payment provider adapters by name."""

from payments.providers.base import Provider
from payments.providers.simulator import SimulatorProvider

_PROVIDERS: dict[str, Provider] = {"simulator": SimulatorProvider()}


def get_provider(name: str) -> Provider:
    return _PROVIDERS[name]
