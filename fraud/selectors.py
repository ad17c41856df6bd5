"""Reads for screening: a merchant's configuration, blocklist matches, usual amount;
and the operations dashboard's daily decisions.

Every payment is screened, so screening's reads are cached where the cache is shared
(Redis: all processes see one cache; the embedded default reads the database each
time). Changing settings or blocklists busts the cache at the change's commit (signal
receivers below: cache busting, the one use of signals here); the usual amount may lag
a minute, it moves slowly.
"""

from datetime import datetime

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from fraud.enums import Decision
from fraud.inputs import Thresholds
from fraud.models import Assessment, BlocklistItem, FraudSettings, RuleSetting
from fraud.rules import USUAL_AMOUNT_MIN_SAMPLES, USUAL_AMOUNT_SAMPLES
from fraud.scoring import ScreeningConfig
from gateway.cache import cached_many, cached_or_load, forget_on_commit

CACHE_SECONDS = 300
USUAL_AMOUNT_CACHE_SECONDS = 60


def _config_key(merchant_id: str) -> str:
    return f"fraud:config:{merchant_id}"


def _blocklist_key(merchant_id: str, livemode: bool) -> str:
    return f"fraud:has-blocklist:{merchant_id}:{int(livemode)}"


@receiver([post_save, post_delete], sender=FraudSettings)
def _forget_config(sender, instance: FraudSettings, **kwargs) -> None:
    forget_on_commit(_config_key(instance.merchant_id))


@receiver([post_save, post_delete], sender=RuleSetting)
def _forget_rule(sender, instance: RuleSetting, **kwargs) -> None:
    forget_on_commit(_config_key(instance.settings.merchant_id))


@receiver([post_save, post_delete], sender=BlocklistItem)
def _forget_blocklist(sender, instance: BlocklistItem, **kwargs) -> None:
    forget_on_commit(_blocklist_key(instance.merchant_id, instance.livemode))


def _usual_key(merchant_id: str, livemode: bool, currency: str) -> str:
    return f"fraud:usual:{merchant_id}:{int(livemode)}:{currency}"


def screening_prefetch(*, merchant_id: str, livemode: bool, currency: str) -> dict:
    """The three cached reads of a screening in one cache round trip; pass the result
    to the getters below as `prefetched` (nothing where the cache is not shared: they
    read the database then)."""
    return cached_many(
        [
            _config_key(merchant_id),
            _blocklist_key(merchant_id, livemode),
            _usual_key(merchant_id, livemode, currency),
        ]
    )


def screening_config_get(*, merchant_id: str, prefetched: dict | None = None) -> ScreeningConfig:
    """The merchant's thresholds and rule weights; the defaults without a settings row."""
    return cached_or_load(
        _config_key(merchant_id),
        lambda: _screening_config_load(merchant_id),
        seconds=CACHE_SECONDS,
        prefetched=prefetched,
    )


def _screening_config_load(merchant_id: str) -> ScreeningConfig:
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


def blocklist_matches(
    *, merchant_id: str, livemode: bool, values: dict[str, str], prefetched: dict | None = None
) -> frozenset:
    """The blocklist types (of `values`: type -> normalized value) the merchant lists."""
    wanted = {(kind, value) for kind, value in values.items() if value}
    if not wanted or not _has_blocklist(merchant_id, livemode, prefetched):
        return frozenset()
    found = BlocklistItem.objects.filter(
        merchant_id=merchant_id, livemode=livemode, value__in={value for _, value in wanted}
    ).values_list("type", "value")
    return frozenset(kind for kind, value in found if (kind, value) in wanted)


def _has_blocklist(merchant_id: str, livemode: bool, prefetched: dict | None) -> bool:
    """Most merchants list nothing: remember that instead of asking on every payment."""
    return cached_or_load(
        _blocklist_key(merchant_id, livemode),
        lambda: BlocklistItem.objects.filter(merchant_id=merchant_id, livemode=livemode).exists(),
        seconds=CACHE_SECONDS,
        prefetched=prefetched,
    )


def usual_amount_get(
    *, merchant_id: str, livemode: bool, currency: str, prefetched: dict | None = None
) -> int | None:
    """The mean amount of the merchant's latest payments in `currency` (blocked attempts
    left out), once there are enough of them."""
    return cached_or_load(
        _usual_key(merchant_id, livemode, currency),
        lambda: _usual_amount_load(merchant_id=merchant_id, livemode=livemode, currency=currency),
        seconds=USUAL_AMOUNT_CACHE_SECONDS,
        prefetched=prefetched,
    )


def _usual_amount_load(*, merchant_id: str, livemode: bool, currency: str) -> int | None:
    """Read from the stored assessments rather than a running total: a total would be
    one row that every payment of the merchant updates, serializing them all on its
    lock."""
    amounts = list(
        Assessment.objects.filter(merchant_id=merchant_id, livemode=livemode, currency=currency)
        .exclude(decision=Decision.BLOCK)
        .order_by("-id")
        .values_list("amount_minor", flat=True)[:USUAL_AMOUNT_SAMPLES]
    )
    if len(amounts) < USUAL_AMOUNT_MIN_SAMPLES:
        return None
    return sum(amounts) // len(amounts)


def assessment_daily_decisions(
    *, livemode: bool, since: datetime, merchant_id: str | None = None
) -> list[dict]:
    """Screening decisions since `since`, counted by day (UTC) and decision."""
    assessments = Assessment.objects.filter(livemode=livemode, created_at__gte=since)
    if merchant_id:
        assessments = assessments.filter(merchant_id=merchant_id)
    return list(
        assessments.annotate(day=TruncDate("created_at"))
        .values("day", "decision")
        .annotate(count=Count("payment_id"))
        .order_by("day", "decision")
    )
