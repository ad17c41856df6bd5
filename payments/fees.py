"""The merchant's processing fee for an amount, from its fee schedule."""

from merchants.models import FeeRule

DEFAULT_PERCENT_BPS = 290
DEFAULT_FIXED_MINOR = 30


def fee_for(*, merchant_id: str, amount_minor: int, currency: str) -> int:
    """Basis points of the amount (rounded half up) plus the fixed part, never above
    the amount. A currency's own rule wins over the merchant's any-currency rule."""
    rules = {
        rule.currency: rule
        for rule in FeeRule.objects.filter(merchant_id=merchant_id, currency__in=[currency, ""])
    }
    rule = rules.get(currency) or rules.get("")
    percent_bps = rule.percent_bps if rule else DEFAULT_PERCENT_BPS
    fixed_minor = rule.fixed_minor if rule else DEFAULT_FIXED_MINOR
    fee = (amount_minor * percent_bps + 5_000) // 10_000 + fixed_minor
    return min(fee, amount_minor)
