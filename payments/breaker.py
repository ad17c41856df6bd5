"""A circuit breaker per provider account, kept in the cache (Redis when configured).

- Closed: calls flow. Every failure of a call (timeout, refused connection, 5xx, 429)
  is counted in a window of PROVIDER_BREAKER_WINDOW seconds; PROVIDER_BREAKER_FAILURES
  of them open the breaker. Any answer from the provider (a decline too) closes it.
- Open: routing skips the account for PROVIDER_BREAKER_COOLDOWN seconds.
- Half-open: after the cool-down one caller at a time (an atomic cache `add`) may
  probe the account; its success closes the breaker, its failure opens it again.

Several processes share the state through the cache. If the cache is unreachable the
breaker steps aside (every account is tried): it protects latency, not money.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def _keys(account_id: str) -> tuple[str, str, str]:
    base = f"provider-breaker:{account_id}"
    return f"{base}:failures", f"{base}:open-until", f"{base}:probe"


def breaker_allows(account_id: str) -> bool:
    """Whether a call to the account may go ahead now (claims the probe if half-open)."""
    _, open_key, probe_key = _keys(account_id)
    try:
        open_until = cache.get(open_key)
        if open_until is None:
            return True
        if time.time() < open_until:
            return False
        return cache.add(probe_key, 1, timeout=settings.PROVIDER_BREAKER_COOLDOWN)
    except Exception:
        logger.warning("Circuit breaker state unreadable for %s; trying it", account_id)
        return True


def breaker_is_open(account_id: str) -> bool:
    """Open and still cooling down (does not claim a probe)."""
    try:
        open_until = cache.get(_keys(account_id)[1])
    except Exception:
        return False
    return open_until is not None and time.time() < open_until


def breaker_record_failure(account_id: str) -> None:
    failures_key, open_key, probe_key = _keys(account_id)
    try:
        cache.add(failures_key, 0, timeout=settings.PROVIDER_BREAKER_WINDOW)
        failures = cache.incr(failures_key)
        if failures >= settings.PROVIDER_BREAKER_FAILURES or cache.get(open_key) is not None:
            cache.set(open_key, time.time() + settings.PROVIDER_BREAKER_COOLDOWN, timeout=None)
            cache.delete_many([failures_key, probe_key])
            logger.warning("Circuit breaker opened for provider account %s", account_id)
    except Exception:
        logger.warning("Circuit breaker could not record a failure for %s", account_id)


def breaker_record_success(account_id: str) -> None:
    try:
        cache.delete_many(_keys(account_id))
    except Exception:
        logger.warning("Circuit breaker could not record a success for %s", account_id)
