"""The merchant's processing fee for an amount, from its fee schedule."""

import time

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from merchants.models import FeeRule

DEFAULT_PERCENT_BPS = 290
DEFAULT_FIXED_MINOR = 30
# Every capture needs the schedule, and it rarely changes: each process keeps it this
# long. A change applies at once in the process that saved it, within a minute elsewhere.
CACHE_SECONDS = 60

_cache: dict[str, tuple[float, dict[str, tuple[int, int]]]] = {}


def _rules(merchant_id: str) -> dict[str, tuple[int, int]]:
    """{currency or "": (percent_bps, fixed_minor)} for the merchant."""
    cached = _cache.get(merchant_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    rules = {
        rule.currency: (rule.percent_bps, rule.fixed_minor)
        for rule in FeeRule.objects.filter(merchant_id=merchant_id)
    }
    _cache[merchant_id] = (time.monotonic() + CACHE_SECONDS, rules)
    return rules


@receiver([post_save, post_delete], sender=FeeRule)
def _forget_rules(sender, instance: FeeRule, **kwargs) -> None:
    """Cache busting (the one use of signals here)."""
    _cache.pop(instance.merchant_id, None)


def fee_for(*, merchant_id: str, amount_minor: int, currency: str) -> int:
    """Basis points of the amount (rounded half up) plus the fixed part, never above
    the amount. A currency's own rule wins over the merchant's any-currency rule."""
    rules = _rules(merchant_id)
    percent_bps, fixed_minor = (
        rules.get(currency) or rules.get("") or (DEFAULT_PERCENT_BPS, DEFAULT_FIXED_MINOR)
    )
    fee = (amount_minor * percent_bps + 5_000) // 10_000 + fixed_minor
    return min(fee, amount_minor)
