"""Idempotency keys (SPEC §4): one row per merchant, mode and `Idempotency-Key`.

Publishable keys (a customer's browser) have keys of their own beside the secret
keys': a browser that sends the key of a merchant's request neither gets its stored
answer (the secret key's view of the object) nor blocks the merchant's request.

The row is claimed (inserted) before the request runs and holds the final response
once it completes; a repeat replays that response byte for byte. The claim commits
on its own, outside any transaction, so concurrent requests with one key collide on
the unique constraint and exactly one of them runs. `ApiViewSet` drives the cycle:
claim after authentication, then complete (2xx, a decline), release (5xx) or
discard (other 4xx) once the response is rendered.

A request that dies holding its claim (a killed process) leaves it `in_progress`
with its `locked_at`; after IDEMPOTENCY_LOCK_TIMEOUT seconds one retry takes it over
and runs again, so views that have effects look them up by `request.idempotency_key`
and resume instead of starting over.
"""

import contextvars
import hashlib
import hmac
import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from gateway import crypto
from gateway.api.errors import IdempotencyError

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 255

# The Idempotency-Key of the API request being served, for the events it causes
# (`request.idempotency_key`, as Stripe shows it). Reset with every request.
idempotency_key_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "idempotency_key", default=None
)
RETENTION = timedelta(hours=24)


class IdempotencyKey(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE)
    livemode = models.BooleanField()
    publishable = models.BooleanField(
        default=False,
        db_default=False,  # processes still running older code insert rows without it
        help_text="Claimed by a publishable key (a browser), not a secret key",
    )
    key = models.CharField(max_length=255)
    request_method = models.CharField(max_length=10)
    request_path = models.CharField(max_length=255)
    request_fingerprint = models.CharField(
        max_length=64, help_text="HMAC-SHA256 of method, path and body"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    locked_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        app_label = "gateway"
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "livemode", "publishable", "key"],
                name="idempotency_key_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


def idempotency_key_link(*, one_per_request: bool = False) -> models.ForeignKey:
    """The field linking an object to the claim of the request that made it, so that a
    retry of that request finds it and resumes instead of making another.

    `one_per_request`: the database holds one such object per claim. A claim taken over
    from a request that was slow, not dead (its lock went stale while it still ran), is
    then still one effect: whichever of the two inserts second fails, and resumes the
    other's object."""
    field = models.OneToOneField if one_per_request else models.ForeignKey
    return field(IdempotencyKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class IdempotentReplay(Exception):
    """The key already holds a final response: send it again and do nothing else."""

    def __init__(self, claim: IdempotencyKey) -> None:
        super().__init__(claim.key)
        self.status = claim.response_status
        self.body = crypto.unseal(claim.response_body, aad=_body_aad(claim))


def idempotency_key_parse(value: str | None) -> str | None:
    """The key from the header's value, None without the header; 400 if malformed.

    Surrounding whitespace is dropped, as every HTTP server does before Django sees it.
    """
    if value is None:
        return None
    key = value.strip()
    if not key:
        raise IdempotencyError(
            f"The {HEADER} header is empty. Send 1 to {KEY_MAX_LENGTH} characters.",
            code="idempotency_key_invalid",
        )
    if len(key) > KEY_MAX_LENGTH:
        raise IdempotencyError(
            f"The {HEADER} header is {len(key)} characters long; the maximum is {KEY_MAX_LENGTH}.",
            code="idempotency_key_invalid",
        )
    if not all(" " <= char <= "~" for char in key):
        raise IdempotencyError(
            f"The {HEADER} header may only contain printable ASCII characters.",
            code="idempotency_key_invalid",
        )
    return key


def _parameters(body: bytes) -> bytes:
    """The request's parameters, not its bytes (as Stripe compares them): a retry that
    serializes the same JSON object with other key order or spacing, or an empty body
    for `{}`, is the same request. A body that is no JSON, or nested too deep to read,
    is compared as it is (the parser refuses it, and refusals are not stored)."""
    if not body.strip():
        return b"{}"
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return body
    return json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()


def _fingerprint(*, method: str, path: str, body: bytes) -> str:
    """Keyed, because a body can hold a card number: a plain hash of it could be
    brute-forced from the BIN and last four digits."""
    key = hashlib.sha256(f"idempotency|{settings.SECRET_KEY}".encode()).digest()
    digest = hmac.new(key, digestmod=hashlib.sha256)
    for part in (method.encode(), path.encode(), _parameters(body)):
        digest.update(len(part).to_bytes(8, "big"))  # unambiguous boundaries
        digest.update(part)
    return digest.hexdigest()


def _lock_timeout() -> timedelta:
    return timedelta(seconds=settings.IDEMPOTENCY_LOCK_TIMEOUT)


def _stored_path(path: str) -> str:
    return path[: IdempotencyKey._meta.get_field("request_path").max_length]


def _check_same_request(claim: IdempotencyKey, *, method: str, path: str, fingerprint: str):
    """400 unless the repeat is the request the key was first used for."""
    first = f"{claim.request_method} {claim.request_path}"
    now = f"{method} {_stored_path(path)}"
    if first != now:
        raise IdempotencyError(
            "Keys for idempotent requests can only be used for the same endpoint they "
            f"were first used for ('{first}' vs '{now}'). Try using a key other than "
            f"'{claim.key}' if you meant to execute a different request."
        )
    if claim.request_fingerprint != fingerprint:
        raise IdempotencyError(
            "Keys for idempotent requests can only be used with the same parameters "
            f"they were first used with. Try using a key other than '{claim.key}' if "
            "you meant to execute a different request."
        )


def _key_in_use() -> IdempotencyError:
    return IdempotencyError(
        f"There is currently another in-progress request using this {HEADER} "
        "(probably a retry of this one). Retry this request later.",
        code="idempotency_key_in_use",
        status=409,
    )


def idempotency_claim(
    *,
    merchant,
    livemode: bool,
    key: str,
    method: str,
    path: str,
    body: bytes,
    publishable: bool = False,
) -> IdempotencyKey:
    """Take the key for this request, or say why not; commits on its own.

    Returns the claimed row (new, or taken over from a request whose lock went stale).
    Raises IdempotentReplay when the key holds a final response, IdempotencyError 400
    when it was used for another request and 409 while another request holds it.
    """
    fingerprint = _fingerprint(method=method, path=path, body=body)
    # Three rounds cover a claim that disappears (its request failed validation)
    # between our insert and our read; any longer chain is reported as in use.
    for _ in range(3):
        now = timezone.now()
        try:
            with transaction.atomic(durable=True):
                return IdempotencyKey.objects.create(
                    merchant=merchant,
                    livemode=livemode,
                    publishable=publishable,
                    key=key,
                    request_method=method,
                    request_path=_stored_path(path),
                    request_fingerprint=fingerprint,
                    locked_at=now,
                    created_at=now,
                )
        except IntegrityError:
            pass
        claim = IdempotencyKey.objects.filter(
            merchant=merchant, livemode=livemode, publishable=publishable, key=key
        ).first()
        if claim is None:
            continue
        _check_same_request(claim, method=method, path=path, fingerprint=fingerprint)
        if claim.status == IdempotencyKey.Status.COMPLETED:
            raise IdempotentReplay(claim)
        if claim.locked_at is not None and claim.locked_at > now - _lock_timeout():
            raise _key_in_use()
        # Compare-and-set on the old lock: of several retries, exactly one wins.
        taken = IdempotencyKey.objects.filter(
            pk=claim.pk, status=IdempotencyKey.Status.IN_PROGRESS, locked_at=claim.locked_at
        ).update(locked_at=now)
        if taken:
            logger.warning("Idempotency key %s: retrying an unfinished request", claim.pk)
            claim.locked_at = now
            return claim
    raise _key_in_use()


def _held(claim: IdempotencyKey):
    """The claim, only while this request still holds its lock."""
    return IdempotencyKey.objects.filter(
        pk=claim.pk, status=IdempotencyKey.Status.IN_PROGRESS, locked_at=claim.locked_at
    )


def _body_aad(claim: IdempotencyKey) -> bytes:
    return f"idempotency:{claim.pk}".encode()


def idempotency_complete(*, claim: IdempotencyKey, status: int, body: bytes) -> None:
    """Store the final response; every later repeat replays exactly these bytes.

    Sealed in the vault: a stored answer can carry a secret shown once (a webhook
    endpoint's signing secret) and must not sit in the table in clear for a day.
    """
    sealed = crypto.seal(body, aad=_body_aad(claim))
    with transaction.atomic(durable=True):
        stored = _held(claim).update(
            status=IdempotencyKey.Status.COMPLETED, response_status=status, response_body=sealed
        )
    if not stored:
        logger.warning("Idempotency key %s: lock lost before completion", claim.pk)


def idempotency_release(*, claim: IdempotencyKey) -> None:
    """Unlock after a server error: the next retry runs again at once.

    The row stays, so the retry gets the same `request.idempotency_key` and can find
    whatever this attempt committed before it failed; the key stays bound to this
    request's parameters.
    """
    with transaction.atomic(durable=True):
        _held(claim).update(locked_at=None)


def idempotency_discard(*, claim: IdempotencyKey) -> None:
    """Forget the claim of a request refused before any effect (a 4xx other than 402)."""
    with transaction.atomic(durable=True):
        _held(claim).delete()


def idempotency_finish(*, claim: IdempotencyKey, status: int, body: bytes, final: bool) -> None:
    """Settle the claim by the response the request produced.

    A `final` answer (2xx, or a decline naming the payment it failed) is stored. A 5xx
    releases the claim for a retry; any other error (card data refused included) was
    a refusal before any effect, so the key is free again.
    """
    if final:
        idempotency_complete(claim=claim, status=status, body=body)
    elif status >= 500:
        idempotency_release(claim=claim)
    else:
        idempotency_discard(claim=claim)


def idempotency_keys_purge(*, older_than: timedelta = RETENTION, batch_size: int = 1000) -> int:
    """Delete keys created more than `older_than` ago that no live request holds.

    Objects linked to a deleted key keep existing with their link set to NULL.
    Returns how many keys were deleted.
    """
    now = timezone.now()
    expired = IdempotencyKey.objects.filter(created_at__lt=now - older_than).filter(
        Q(status=IdempotencyKey.Status.COMPLETED)
        | Q(locked_at__isnull=True)
        | Q(locked_at__lte=now - _lock_timeout())
    )
    deleted = 0
    while pks := list(expired.values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            _, per_model = expired.filter(pk__in=pks).delete()
        deleted += per_model.get(IdempotencyKey._meta.label, 0)
        if len(pks) < batch_size:
            break
    return deleted
