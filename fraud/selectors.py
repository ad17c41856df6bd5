"""Reads for screening: a merchant's configuration, blocklist matches, usual amount."""

from fraud.inputs import Thresholds
from fraud.models import AmountProfile, BlocklistItem, FraudSettings
from fraud.rules import USUAL_AMOUNT_MIN_SAMPLES
from fraud.scoring import ScreeningConfig


def screening_config_get(*, merchant_id: str) -> ScreeningConfig:
    """The merchant's thresholds and rule weights; the defaults without a settings row."""
    row = FraudSettings.objects.filter(merchant_id=merchant_id).prefetch_related("rules").first()
    if row is None:
        return ScreeningConfig()
    weights = ScreeningConfig().weights
    for rule in row.rules.all():
        if rule.is_enabled:
            weights[rule.rule] = rule.weight
        else:
            weights.pop(rule.rule, None)
    return ScreeningConfig(
        enabled=row.is_enabled,
        thresholds=Thresholds(
            three_d_secure=row.three_d_secure_from, review=row.review_from, block=row.block_from
        ),
        weights=weights,
    )


def blocklist_matches(*, merchant_id: str, livemode: bool, values: dict[str, str]) -> frozenset:
    """The blocklist types (of `values`: type -> normalized value) the merchant lists."""
    wanted = {(kind, value) for kind, value in values.items() if value}
    if not wanted:
        return frozenset()
    found = BlocklistItem.objects.filter(
        merchant_id=merchant_id, livemode=livemode, value__in={value for _, value in wanted}
    ).values_list("type", "value")
    return frozenset(kind for kind, value in found if (kind, value) in wanted)


def usual_amount_get(*, merchant_id: str, livemode: bool, currency: str) -> int | None:
    """The merchant's mean amount in `currency`, once there are enough payments."""
    profile = (
        AmountProfile.objects.filter(merchant_id=merchant_id, livemode=livemode, currency=currency)
        .values_list("count", "total_minor")
        .first()
    )
    if profile is None or profile[0] < USUAL_AMOUNT_MIN_SAMPLES:
        return None
    return profile[1] // profile[0]
