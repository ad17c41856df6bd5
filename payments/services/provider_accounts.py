"""Provider accounts: create and delete them, build their adapters, route payments.

Routing (SPEC §4): a payment goes to the merchant's active accounts in its mode whose
rules (currencies, card brands, amount range) accept it, lowest `priority` first.
An explicit `provider` on the payment keeps only accounts of that provider. A merchant
without accounts (or asking for `simulator` without having one) uses the built-in
simulator, as before accounts existed. PayPal is a redirect flow, not a card
acquirer: it is used when the payment asks for `provider: "paypal"`, never as a
fallback for a card.
"""

from collections import OrderedDict
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from gateway import audit
from gateway.api.errors import InvalidRequestError
from gateway.cache import cached_or_load, forget_on_commit
from payments import vault
from payments.enums import ProviderAccountStatus, ProviderName
from payments.models import ProviderAccount
from payments.providers import BUILTIN_SIMULATOR, build_provider
from payments.providers.base import Provider

# Allowed credential fields per provider: (required, optional).
CREDENTIAL_FIELDS = {
    ProviderName.SIMULATOR: ((), ()),
    ProviderName.STRIPE: (("secret_key",), ("webhook_secret",)),
    ProviderName.PAYPAL: (("client_id", "client_secret"), ("webhook_id",)),
}
_ADAPTERS: OrderedDict = OrderedDict()  # one adapter per account per process (PayPal token)
_ADAPTERS_MAX = 512


def _check_credentials(*, provider: str, livemode: bool, credentials: dict) -> dict:
    required, optional = CREDENTIAL_FIELDS[provider]
    for name, value in credentials.items():
        if name not in required + optional:
            raise InvalidRequestError(
                f"Unknown credential for {provider}: {name}.",
                code="parameter_unknown",
                param=f"credentials[{name}]",
            )
        if not isinstance(value, str) or not value or len(value) > 500:
            raise InvalidRequestError(
                "Credentials are non-empty strings.", param=f"credentials[{name}]"
            )
    for name in required:
        if name not in credentials:
            raise InvalidRequestError(
                f"Missing required param: credentials[{name}].",
                code="parameter_missing",
                param=f"credentials[{name}]",
            )
    if provider == ProviderName.STRIPE:
        mode = "live" if livemode else "test"
        if not credentials["secret_key"].startswith((f"sk_{mode}_", f"rk_{mode}_")):
            raise InvalidRequestError(
                f"A {mode}-mode account needs a Stripe sk_{mode}_ or rk_{mode}_ key.",
                param="credentials[secret_key]",
            )
        secret = credentials.get("webhook_secret")
        if secret is not None and not secret.startswith("whsec_"):
            raise InvalidRequestError(
                "Stripe webhook secrets start with whsec_.", param="credentials[webhook_secret]"
            )
    return credentials


def _check_api_base(api_base: str) -> str:
    if not api_base:
        return ""
    if not settings.PROVIDER_ALLOW_API_BASE:
        raise InvalidRequestError(
            "api_base is not accepted on this gateway.", code="parameter_unknown", param="api_base"
        )
    if urlsplit(api_base).scheme not in ("http", "https"):
        raise InvalidRequestError("api_base must be an http(s) URL.", param="api_base")
    return api_base


def provider_account_create(
    *,
    merchant,
    livemode: bool,
    provider: str,
    credentials: dict,
    priority: int = 0,
    api_base: str = "",
    currencies: list[str] | None = None,
    card_brands: list[str] | None = None,
    min_amount_minor: int | None = None,
    max_amount_minor: int | None = None,
    actor: str,
) -> ProviderAccount:
    """Add an account; its credentials are sealed, and its creation audited."""
    if provider == ProviderName.SIMULATOR and livemode:
        raise InvalidRequestError(
            "The simulator takes no live payments.", param="provider", code="parameter_invalid"
        )
    if None not in (min_amount_minor, max_amount_minor) and min_amount_minor > max_amount_minor:
        raise InvalidRequestError("min_amount is greater than max_amount.", param="min_amount")
    credentials = _check_credentials(provider=provider, livemode=livemode, credentials=credentials)
    account = ProviderAccount(
        merchant=merchant,
        livemode=livemode,
        provider=provider,
        priority=priority,
        api_base=_check_api_base(api_base),
        currencies=sorted(set(currencies or [])),
        card_brands=sorted(set(card_brands or [])),
        min_amount_minor=min_amount_minor,
        max_amount_minor=max_amount_minor,
    )
    vault.seal_provider_credentials(account, credentials)
    with transaction.atomic():
        account.save(force_insert=True)
        audit.audit_record(
            actor=actor,
            action="provider_account.create",
            obj=account,
            merchant_id=merchant.id,
            data={"provider": provider, "livemode": livemode},
        )
    return account


def provider_account_delete(*, account: ProviderAccount, actor: str) -> ProviderAccount:
    """Stop routing to the account. It stays for its payments and their late webhooks."""
    with transaction.atomic():
        account = ProviderAccount.objects.select_for_update().get(pk=account.pk)
        if account.status != ProviderAccountStatus.DELETED:
            account.status = ProviderAccountStatus.DELETED
            account.deleted_at = timezone.now()
            account.save(update_fields=["status", "deleted_at"])
            audit.audit_record(
                actor=actor,
                action="provider_account.delete",
                obj=account,
                merchant_id=account.merchant_id,
                data={"provider": account.provider},
            )
    return account  # its adapter stays cached: its payments still refund through it


def provider_for(account: ProviderAccount | None) -> Provider:
    """The account's adapter (the built-in simulator for None), reused per process so
    that clients keep their connections and PayPal its OAuth token."""
    if account is None:
        return BUILTIN_SIMULATOR
    cache_key = (
        account.pk,
        settings.PROVIDER_CONNECT_TIMEOUT,
        settings.PROVIDER_READ_TIMEOUT,
        settings.STRIPE_MAX_NETWORK_RETRIES,
    )
    adapter = _ADAPTERS.get(cache_key)
    if adapter is None:
        adapter = build_provider(
            provider=account.provider,
            credentials=vault.provider_credentials(account),
            livemode=account.livemode,
            api_base=account.api_base,
        )
        _ADAPTERS[cache_key] = adapter
        while len(_ADAPTERS) > _ADAPTERS_MAX:
            _ADAPTERS.popitem(last=False)
    return adapter


ACCOUNTS_CACHE_SECONDS = 300


def _accounts_key(merchant_id: str, livemode: bool) -> str:
    return f"provider-accounts:{merchant_id}:{int(livemode)}"


def _active_accounts(merchant_id: str, livemode: bool) -> list[ProviderAccount]:
    """The merchant's active accounts in this mode, by priority. Every payment routes,
    and accounts rarely change: cached, and forgotten whenever one is saved."""
    return cached_or_load(
        _accounts_key(merchant_id, livemode),
        lambda: list(
            ProviderAccount.objects.filter(
                merchant_id=merchant_id, livemode=livemode, status=ProviderAccountStatus.ACTIVE
            ).order_by("priority", "id")
        ),
        seconds=ACCOUNTS_CACHE_SECONDS,
    )


@receiver([post_save, post_delete], sender=ProviderAccount)
def _forget_accounts(sender, instance: ProviderAccount, **kwargs) -> None:
    """Cache busting: a created, deleted or changed account routes from the next payment."""
    forget_on_commit(_accounts_key(instance.merchant_id, instance.livemode))


def routing_candidates(
    *,
    merchant_id: str,
    livemode: bool,
    amount_minor: int,
    currency: str,
    card_brand: str | None,
    requested: str = "",
) -> list[ProviderAccount | None]:
    """The accounts to try for a payment, in order; None stands for the built-in
    simulator. Empty when the merchant has accounts but none accepts the payment."""
    configured = _active_accounts(merchant_id, livemode)
    if requested:
        accounts = [a for a in configured if a.provider == requested]
    else:
        accounts = [a for a in configured if a.provider != ProviderName.PAYPAL]
    if not accounts:
        builtin = requested == ProviderName.SIMULATOR or (not requested and not configured)
        return [None] if builtin else []
    return [
        a
        for a in accounts
        if a.matches(currency=currency, amount_minor=amount_minor, card_brand=card_brand)
    ]
