"""Write use-cases for merchants and API keys. Each runs in one transaction and audits."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from gateway.audit import audit_record
from merchants import keys
from merchants.enums import ApiKeyKind, MerchantStatus
from merchants.models import ApiKey, FeeRule, Merchant


@dataclass(frozen=True)
class IssuedKey:
    """A freshly created key: the row and the plaintext, which is never stored."""

    api_key: ApiKey
    plaintext: str


def api_key_create(*, merchant: Merchant, kind: str, livemode: bool, actor: str) -> IssuedKey:
    """Issue a new key; its plaintext exists only in the returned value."""
    if merchant.status == MerchantStatus.CLOSED:
        raise ValueError("a closed merchant gets no keys")
    for _ in range(5):  # the lookup prefix is random; a clash is astronomically rare
        plaintext = keys.generate(kind, livemode=livemode)
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    merchant=merchant,
                    kind=kind,
                    livemode=livemode,
                    prefix=keys.lookup_prefix(plaintext),
                    key_hash=keys.key_hash(plaintext),
                )
                audit_record(
                    actor=actor, action="api_key.created", obj=api_key, merchant_id=merchant.id
                )
            return IssuedKey(api_key, plaintext)
        except IntegrityError:
            continue
    raise RuntimeError("could not generate a unique API key prefix")


@transaction.atomic
def merchant_create(*, name: str, email: str, actor: str) -> tuple[Merchant, dict[str, IssuedKey]]:
    """Create an active merchant with a secret and a publishable key per mode.

    Returns the merchant and its keys by name: `test_secret`, `test_publishable`,
    `live_secret`, `live_publishable`.
    """
    merchant = Merchant(name=name, email=email)
    merchant.activate()
    merchant.full_clean(exclude=["status"])  # the command line has no form to check
    merchant.save()
    audit_record(actor=actor, action="merchant.created", obj=merchant, merchant_id=merchant.id)
    issued = {
        f"{'live' if livemode else 'test'}_{kind}": api_key_create(
            merchant=merchant, kind=kind, livemode=livemode, actor=actor
        )
        for livemode in (False, True)
        for kind in (ApiKeyKind.SECRET, ApiKeyKind.PUBLISHABLE)
    }
    return merchant, issued


@transaction.atomic
def merchant_update(*, merchant: Merchant, actor: str, **changes: str) -> Merchant:
    """Change a merchant's `name` or `email`, auditing each value before and after."""
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    changed = {
        field: [getattr(merchant, field), value]
        for field, value in changes.items()
        if getattr(merchant, field) != value
    }
    if not changed:
        return merchant
    for field, (_, value) in changed.items():
        setattr(merchant, field, value)
    merchant.full_clean(exclude=["status"])  # status: protected, moved by transitions
    merchant.save(update_fields=list(changed))
    audit_record(
        actor=actor,
        action="merchant.updated",
        obj=merchant,
        merchant_id=merchant.id,
        data={"changed": changed},
    )
    return merchant


def _fee_terms(rule: FeeRule | None) -> dict | None:
    return rule and {"percent_bps": rule.percent_bps, "fixed_minor": rule.fixed_minor}


@transaction.atomic
def fee_rule_save(*, rule: FeeRule, actor: str) -> FeeRule:
    """Add or change one rule of a merchant's fee schedule, auditing the terms before
    and after. Captures price with it from the next one on (within a minute in other
    processes: payments.fees caches schedules)."""
    before = FeeRule.objects.select_for_update().filter(pk=rule.pk).first() if rule.pk else None
    rule.full_clean()
    rule.save()
    audit_record(
        actor=actor,
        action="fee_rule.saved",
        obj=rule,
        merchant_id=rule.merchant_id,
        data={"currency": rule.currency, "before": _fee_terms(before), "after": _fee_terms(rule)},
    )
    return rule


@transaction.atomic
def fee_rule_delete(*, rule: FeeRule, actor: str) -> None:
    """Drop one rule: the merchant's any-currency rule, or the default, applies instead."""
    audit_record(
        actor=actor,
        action="fee_rule.deleted",
        obj=rule,
        merchant_id=rule.merchant_id,
        data={"currency": rule.currency, "before": _fee_terms(rule), "after": None},
    )
    rule.delete()


# As Stripe's: the old key of a roll works for at most 7 days more.
ROLL_GRACE_MAX_HOURS = 7 * 24


@transaction.atomic
def api_key_roll(
    *, api_key: ApiKey, grace: timedelta = timedelta(0), actor: str, reason: str = ""
) -> IssuedKey:
    """Replace a key with a new one of the same kind and mode.

    The old key keeps working for `grace` (default: not at all, at most 7 days) and then
    expires. A key rolled already is not rolled again: that would give it a new grace,
    and it has a replacement to roll instead.
    """
    if not timedelta(0) <= grace <= timedelta(hours=ROLL_GRACE_MAX_HOURS):
        raise ValueError(f"the grace period is 0 to {ROLL_GRACE_MAX_HOURS} hours")
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if not api_key.is_usable():
        raise ValueError("only a usable key can be rolled")
    if api_key.expires_at is not None:
        raise ValueError("this key was rolled already and expires; roll its replacement")
    api_key.expires_at = timezone.now() + grace
    api_key.save(update_fields=["expires_at"])
    audit_record(
        actor=actor,
        action="api_key.rolled",
        obj=api_key,
        merchant_id=api_key.merchant_id,
        reason=reason,
        data={"grace_seconds": int(grace.total_seconds())},
    )
    return api_key_create(
        merchant=api_key.merchant, kind=api_key.kind, livemode=api_key.livemode, actor=actor
    )


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: str, reason: str = "") -> ApiKey:
    """Stop a key at once. Authentication reads the database on every request, so
    every worker refuses it from the next request on."""
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="api_key.revoked",
            obj=api_key,
            merchant_id=api_key.merchant_id,
            reason=reason,
        )
    return api_key


def _merchant_transition(merchant: Merchant, name: str, *, actor: str, reason: str) -> Merchant:
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        getattr(merchant, name)()
        merchant.save()
        audit_record(
            actor=actor,
            action=f"merchant.{name}",
            obj=merchant,
            merchant_id=merchant.id,
            reason=reason,
        )
    return merchant


def merchant_suspend(*, merchant: Merchant, actor: str, reason: str) -> Merchant:
    return _merchant_transition(merchant, "suspend", actor=actor, reason=reason)


def merchant_activate(*, merchant: Merchant, actor: str, reason: str = "") -> Merchant:
    """Open a pending merchant or reinstate a suspended one."""
    return _merchant_transition(merchant, "activate", actor=actor, reason=reason)


def merchant_close(*, merchant: Merchant, actor: str, reason: str) -> Merchant:
    return _merchant_transition(merchant, "close", actor=actor, reason=reason)
