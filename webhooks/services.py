"""Write use-cases for webhooks: endpoints, fan-out from the outbox, delivery, resend.

Delivery runs in three steps so no transaction or row lock is open during network
I/O: claim (a short transaction takes one due delivery of the endpoint, within the
endpoint's concurrency cap, and leases it to this worker), send (outside any
transaction), record (a short transaction stores the attempt and moves the delivery
on). A worker that dies mid-delivery leaves a lease that expires; the sweeper then
makes the delivery due again, and the same `webhook-id` goes out once more (at least
once; receivers de-duplicate on it).
"""

import json
import logging
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from gateway.api.errors import InvalidRequestError
from gateway.audit import audit_record
from gateway.crypto import seal
from gateway.events import (
    Event,
    event_emit,
    event_list_undispatched,
    events_claim_for_dispatch,
)
from merchants.models import Merchant
from webhooks import delivery, metrics, schedule, signing, ssrf
from webhooks.enums import DeliveryStatus, DisabledReason, EndpointStatus
from webhooks.event_types import is_subscribed
from webhooks.models import RetiredSecret, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.representations import endpoint_snapshot, event_body
from webhooks.selectors import (
    deliveries_due_by_endpoint,
    endpoint_list_subscribed,
    endpoint_secrets,
    endpoints_for_owners,
)
from webhooks.tasks import webhook_endpoint_deliver_task, webhook_endpoint_disabled_notify_task

logger = logging.getLogger(__name__)

D = DeliveryStatus
SECRET_OVERLAP = timedelta(hours=24)
# A worker delivers to one endpoint for at most this long, then hands over to a new
# task, so busy endpoints take turns with everything else in the queue.
DRAIN_SECONDS = 30
# Retries due within this many seconds are scheduled as Celery countdowns; later ones
# are picked up by the sweeper (every minute), which is precise enough for them and
# keeps long ETAs out of the broker.
COUNTDOWN_MAX_SECONDS = 300
SWEEP_BATCH = 500
# After the first request of a sender finishes, results finishing within this many
# seconds are recorded together.
GATHER_SECONDS = 0.005
# Events one dispatch transaction may fan out: its own and older ones nobody holds.
DISPATCH_BATCH = 100


class EndpointNotSubscribed(ValueError):
    """Resend asked for an endpoint that does not take this event."""

    code = "endpoint_not_subscribed"


class EndpointDisabled(EndpointNotSubscribed):
    """Resend asked for an endpoint that is disabled."""

    code = "endpoint_disabled"


@dataclass(frozen=True)
class IssuedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # plaintext, never stored


# --- endpoints -------------------------------------------------------------------------


def _set_secret(endpoint: WebhookEndpoint) -> str:
    secret = signing.secret_generate()
    endpoint.secret_ciphertext = seal(secret.encode(), aad=endpoint.aad)
    return secret


@transaction.atomic
def webhook_endpoint_create(
    *, merchant, livemode: bool, url: str, enabled_events: list[str], description: str, actor: str
) -> IssuedEndpoint:
    """A new enabled endpoint with a fresh secret; the URL passes the SSRF policy.
    A merchant has at most WEBHOOK_ENDPOINTS_MAX per mode (as Stripe's 16): every
    event goes to each, so more would make the gateway an amplifier towards any host.
    The merchant's row lock makes concurrent creations count one after another."""
    ssrf.check(url, livemode=livemode)
    # FOR NO KEY UPDATE: it orders endpoint creations without waiting on (or holding
    # up) the payments and events that reference the merchant's row.
    Merchant.objects.select_for_update(no_key=True).get(pk=merchant.pk)
    if WebhookEndpoint.objects.for_merchant(merchant, livemode=livemode).count() >= (
        settings.WEBHOOK_ENDPOINTS_MAX
    ):
        raise InvalidRequestError(
            f"You have reached the maximum of {settings.WEBHOOK_ENDPOINTS_MAX} webhook "
            f"endpoints in {'live' if livemode else 'test'} mode; delete one first.",
            code="webhook_endpoints_limit_reached",
        )
    now = timezone.now()
    endpoint = WebhookEndpoint(
        created_at=now,
        enabled_at=now,
        merchant=merchant,
        livemode=livemode,
        url=url,
        enabled_events=enabled_events,
        description=description,
    )
    secret = _set_secret(endpoint)
    endpoint.save()
    audit_record(
        actor=actor,
        action="webhook_endpoint.created",
        obj=endpoint,
        merchant_id=merchant.id,
        data={"url": url, "enabled_events": enabled_events},
    )
    return IssuedEndpoint(endpoint, secret)


def _locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    actor: str,
    url: str | None = None,
    enabled_events: list[str] | None = None,
    description: str | None = None,
    disabled: bool | None = None,
    reason: str = "",
) -> WebhookEndpoint:
    """Change what the merchant may change; a new URL passes the SSRF policy again.
    Staff disabling an endpoint from the admin give a `reason` (audited)."""
    endpoint = _locked(endpoint)
    changes: dict = {}
    if url is not None and url != endpoint.url:
        ssrf.check(url, livemode=endpoint.livemode)
        endpoint.url = changes["url"] = url
    if enabled_events is not None:
        endpoint.subscribe(enabled_events, at=timezone.now())
        changes["enabled_events"] = enabled_events
    if description is not None:
        endpoint.description = changes["description"] = description
    if disabled is True and endpoint.status == EndpointStatus.ENABLED:
        endpoint.disable(
            reason=DisabledReason.STAFF if actor.startswith("admin:") else DisabledReason.MERCHANT
        )
        changes["status"] = endpoint.status
    elif disabled is False and endpoint.status == EndpointStatus.DISABLED:
        endpoint.enable()
        changes["status"] = endpoint.status
    endpoint.save()
    if changes.get("status") == EndpointStatus.DISABLED:
        _fail_waiting(endpoint, "endpoint disabled")
    audit_record(
        actor=actor,
        action="webhook_endpoint.updated",
        obj=endpoint,
        merchant_id=endpoint.merchant_id,
        reason=reason,
        data=changes,
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: str) -> None:
    """Soft delete: the endpoint disappears from the API and receives nothing more;
    its delivery history stays for support."""
    endpoint = _locked(endpoint)
    endpoint.deleted_at = timezone.now()
    endpoint.save(update_fields=["deleted_at", "updated_at"])
    _fail_waiting(endpoint, "endpoint deleted")
    audit_record(
        actor=actor,
        action="webhook_endpoint.deleted",
        obj=endpoint,
        merchant_id=endpoint.merchant_id,
    )


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor: str) -> IssuedEndpoint:
    """A new secret signs from now on; the one it replaces keeps signing alongside it
    for 24 hours (receivers see a `v1,` signature per secret), so they can switch
    without a gap, as do the secrets of earlier rotations within their 24 hours."""
    endpoint = _locked(endpoint)
    now = timezone.now()
    endpoint.retired_secrets.filter(expires_at__lte=now).delete()
    RetiredSecret.objects.create(
        endpoint=endpoint,
        secret_ciphertext=endpoint.secret_ciphertext,
        expires_at=now + SECRET_OVERLAP,
    )
    secret = _set_secret(endpoint)
    endpoint.save()
    audit_record(
        actor=actor,
        action="webhook_endpoint.secret_rotated",
        obj=endpoint,
        merchant_id=endpoint.merchant_id,
    )
    return IssuedEndpoint(endpoint, secret)


def _fail_waiting(endpoint: WebhookEndpoint, reason: str) -> int:
    """Deliveries still waiting for an endpoint that takes nothing more have failed."""
    return WebhookDelivery.objects.filter(endpoint=endpoint, status=D.PENDING).update(
        status=D.FAILED, next_attempt_at=None, completed_at=timezone.now(), last_error=reason
    )


def _endpoint_disable(*, endpoint_id: str, reason: str, actor: str) -> bool:
    """Disable an endpoint that keeps failing (or answered 410); call in a transaction.

    Emits `webhook_endpoint.disabled` (the merchant's other endpoints hear about it)
    and e-mails the merchant once the transaction commits.
    """
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if endpoint.status != EndpointStatus.ENABLED:
        return False
    endpoint.disable(reason=reason)
    endpoint.save()
    _fail_waiting(endpoint, "endpoint disabled")
    event_emit(
        type="webhook_endpoint.disabled",
        snapshot=endpoint_snapshot(endpoint),
        merchant_id=endpoint.merchant_id,
        livemode=endpoint.livemode,
    )
    audit_record(
        actor=actor,
        action="webhook_endpoint.disabled",
        obj=endpoint,
        merchant_id=endpoint.merchant_id,
        reason=DisabledReason(reason).label,
    )
    webhook_endpoint_disabled_notify_task.delay_on_commit(endpoint.id)
    logger.warning("Webhook endpoint %s disabled: %s", endpoint.id, reason)
    return True


def webhook_endpoint_disabled_notify(*, endpoint_id: str) -> None:
    """E-mail the merchant that an endpoint was disabled, and why."""
    endpoint = WebhookEndpoint.objects.select_related("merchant").get(pk=endpoint_id)
    context = {
        "endpoint": endpoint,
        "merchant": endpoint.merchant,
        "reason": DisabledReason(endpoint.disabled_reason).label
        if endpoint.disabled_reason
        else "",
        "mode": "live" if endpoint.livemode else "test",
        "timeout_seconds": f"{settings.WEBHOOK_TIMEOUT:g}",
    }
    subject = render_to_string("webhooks/endpoint_disabled_subject.txt", context).strip()
    body = render_to_string("webhooks/endpoint_disabled.txt", context)
    send_mail(subject, body, None, [endpoint.merchant.email])


# --- fan-out from the outbox ------------------------------------------------------------


class _RecentlyDispatched:
    """Ids of events this process has seen committed as dispatched (bounded).

    Only a shortcut: under a burst one transaction fans out a whole batch, and the
    tasks of the other events in it can then return without a database round trip.
    Ids are added after the commit, so a skipped event is certainly dispatched; the
    database stays the guard for everything else.
    """

    def __init__(self, size: int = 100_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add(self, ids: list[str]) -> None:
        with self._lock:
            self._ids.update(dict.fromkeys(ids))
            while len(self._ids) > self._size:
                self._ids.popitem(last=False)

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._ids


_recently_dispatched = _RecentlyDispatched()


def webhook_event_dispatch(*, event_id: str, batch: int = DISPATCH_BATCH) -> list[str]:
    """Turn a committed event into one delivery per subscribed endpoint, exactly once.

    Marks the event dispatched in the same transaction (the sweeper skips it; another
    dispatch of it finds nothing to do). An endpoint gets the events created since it
    was created or last re-enabled, even when the sweeper dispatches them late. Under a
    burst it also takes up to `batch - 1` other undispatched events nobody holds, so one
    transaction fans out many events and the tasks of those find their work done.
    Returns the endpoints given deliveries; `webhook_endpoints_start` gets them going.
    """
    if event_id in _recently_dispatched:
        return []
    with transaction.atomic():
        now = timezone.now()
        events = events_claim_for_dispatch(event_id=event_id, batch=batch, at=now)
        if not events:
            return []
        taken = [event.id for event in events]
        transaction.on_commit(lambda: _recently_dispatched.add(taken))
        owners = {(event.merchant_id, event.livemode) for event in events}
        endpoints = endpoints_for_owners(owners)
        deliveries = [
            WebhookDelivery(event_id=event.id, endpoint_id=endpoint.id, next_attempt_at=now)
            for event in events
            for endpoint in endpoints.get((event.merchant_id, event.livemode), ())
            if is_subscribed(endpoint.enabled_events_at(event.created_at), event.type)
            # as at Stripe: no events from before the endpoint, nor from while it was off
            and endpoint.enabled_at <= event.created_at
        ]
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return sorted({d.endpoint_id for d in deliveries})


def webhook_event_fan_out(*, event_id: str, deliver_inline: bool = True) -> list[str]:
    """Dispatch an event and start delivering it (the outbox consumer's whole job)."""
    endpoint_ids = webhook_event_dispatch(event_id=event_id)
    webhook_endpoints_start(endpoint_ids=endpoint_ids, deliver_inline=deliver_inline)
    return endpoint_ids


def webhook_endpoints_start(*, endpoint_ids: list[str], deliver_inline: bool) -> int:
    """Start delivery to each endpoint that has room under its concurrency cap.

    The deliveries are claimed here, before any task exists, under a token that
    becomes the id of the task sending them: an endpoint already at its cap (a slow
    or dead one with a backlog) costs no task at all, since the sender it has in
    flight takes the new deliveries when it records its current ones. With
    `deliver_inline` the first endpoint is served right here, in the calling task
    (one task per event for a merchant with one endpoint). Returns how many started.
    """
    inline: tuple[str, str, Batch] | None = None
    started = 0
    for endpoint_id in endpoint_ids:
        token = uuid.uuid4().hex
        with transaction.atomic():
            batch = _claim(endpoint_id=endpoint_id, token=token, reclaim=False)
        if batch is None:
            continue
        started += 1
        if deliver_inline and inline is None:
            inline = (endpoint_id, token, batch)
        else:
            webhook_endpoint_deliver_task.apply_async((endpoint_id,), task_id=token)
    if inline is not None:
        endpoint_id, token, batch = inline
        webhook_endpoint_deliver(endpoint_id=endpoint_id, token=token, batch=batch)
    return started


# --- delivery --------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    event_id: str
    body: bytes
    number: int  # the attempt this send is
    step: int  # failed attempts so far in the current schedule


@dataclass(frozen=True)
class Batch:
    """Due deliveries of one endpoint, leased to one sender."""

    endpoint_id: str
    url: str
    livemode: bool
    secrets: list[str]
    failing: bool  # the endpoint has failed since its last success
    claims: list[Claim]


@dataclass(frozen=True)
class Sent:
    claim: Claim
    started_at: datetime
    timestamp: int
    outcome: delivery.Outcome


def _claim(*, endpoint_id: str, token: str, reclaim: bool) -> Batch | None:
    """Lease the endpoint's oldest due deliveries to `token`, as many as its
    concurrency cap has room for; call inside a transaction.

    The endpoint row lock serializes claims for one endpoint, so the count of leases
    in flight is exact; a claimer that finds no room may leave, because every sender
    in flight claims again in the transaction that records its attempts.
    """
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        return None
    if endpoint.status != EndpointStatus.ENABLED or endpoint.deleted_at is not None:
        _fail_waiting(endpoint, "endpoint disabled")
        return None
    deliveries = WebhookDelivery.objects.filter(endpoint_id=endpoint_id).select_related("event")
    rows = []
    if reclaim:
        # A message redelivered after its worker died carries the same task id (the
        # token): take back what that run had leased instead of waiting for expiry.
        rows = list(deliveries.filter(status=D.SENDING, claimed_by=token))
    in_flight = (  # this sender's own requests still out included
        WebhookDelivery.objects.filter(
            endpoint_id=endpoint_id, status=D.SENDING, lease_until__gt=now
        )
        .exclude(pk__in=[row.pk for row in rows])
        .count()
    )
    room = settings.WEBHOOK_ENDPOINT_CONCURRENCY - in_flight - len(rows)
    if room > 0:
        rows += list(
            deliveries.filter(status=D.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True, of=("self",))[:room]
        )
    if not rows:
        return None
    WebhookDelivery.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=D.SENDING,
        claimed_by=token,
        lease_until=now + timedelta(seconds=settings.WEBHOOK_DELIVERY_LEASE),
    )
    return Batch(
        endpoint_id=endpoint.id,
        url=endpoint.url,
        livemode=endpoint.livemode,
        secrets=endpoint_secrets(endpoint, at=now),
        failing=endpoint.failing_since is not None,
        claims=[
            Claim(
                delivery_id=row.id,
                event_id=row.event_id,
                body=json.dumps(event_body(row.event), separators=(",", ":")).encode(),
                number=row.attempt_count + 1,
                step=row.schedule_step,
            )
            for row in rows
        ],
    )


def _send_one(batch: Batch, claim: Claim) -> Sent:
    """One signed POST; runs in a sender thread, so no database here."""
    started_at = timezone.now()
    timestamp = int(time.time())
    try:
        headers = signing.headers(
            batch.secrets, msg_id=claim.event_id, timestamp=timestamp, body=claim.body
        )
        outcome = delivery.post(
            batch.url,
            body=claim.body,
            headers=headers,
            livemode=batch.livemode,
            timeout=settings.WEBHOOK_TIMEOUT,
        )
    except Exception as exc:  # a bug must not strand the rest of the sender's requests
        logger.exception("Webhook delivery %s crashed", claim.delivery_id)
        outcome = delivery.Outcome(None, 0, error=f"internal error: {type(exc).__name__}")
    return Sent(claim, started_at, timestamp, outcome)


def _completed(in_flight: dict) -> list:
    """Futures done: wait for the first, then gather what finishes within a few ms,
    so a fast endpoint's results are recorded in batches, a slow one's promptly."""
    done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
    pending = [future for future in in_flight if future not in done]
    if pending:
        more, _ = wait(pending, timeout=GATHER_SECONDS)
        done |= more
    return list(done)


def _attempt(sent: Sent, number: int | None) -> WebhookAttempt:
    outcome = sent.outcome
    return WebhookAttempt(
        delivery_id=sent.claim.delivery_id,
        number=number,
        started_at=sent.started_at,
        webhook_timestamp=sent.timestamp,
        status_code=outcome.status_code,
        latency_ms=outcome.latency_ms,
        response_body=outcome.body,
        error=outcome.error[:500],
        succeeded=outcome.succeeded,
    )


def _record_superseded(sent: Sent, *, token: str, now) -> WebhookAttempt:
    """The slow path, for a sender whose lease was lost (it stalled past the lease and
    the sweeper handed the delivery on): keep the attempt, and let a success count."""
    row = WebhookDelivery.objects.select_for_update().get(pk=sent.claim.delivery_id)
    held_by_other = row.status == D.SENDING and row.claimed_by not in ("", token)
    if held_by_other:
        return _attempt(sent, None)  # numbered by the sender that holds it now
    row.attempt_count += 1
    if sent.outcome.succeeded and row.status != D.SUCCEEDED:
        row.status, row.completed_at = D.SUCCEEDED, now
        row.next_attempt_at = row.lease_until = None
        row.claimed_by = ""
    row.save()
    return _attempt(sent, row.attempt_count)


def _record(batch: Batch, sents: list[Sent], *, token: str, claim_next: bool) -> Batch | None:
    """Store a batch's attempts and move each delivery on, in one transaction that
    also claims the endpoint's next batch (so a sender never leaves work behind)."""
    retries: list[float] = []
    with transaction.atomic():
        now = timezone.now()
        ours = WebhookDelivery.objects.filter(status=D.SENDING, claimed_by=token)
        attempts, superseded, outcomes = [], [], []
        by_code: dict[int, list[Sent]] = {}
        for sent in sents:
            if sent.outcome.succeeded:
                by_code.setdefault(sent.outcome.status_code, []).append(sent)
        for code, group in by_code.items():
            ids = [sent.claim.delivery_id for sent in group]
            updated = ours.filter(pk__in=ids).update(
                status=D.SUCCEEDED,
                attempt_count=F("attempt_count") + 1,
                completed_at=now,
                next_attempt_at=None,
                lease_until=None,
                claimed_by="",
                last_status_code=code,
                last_error="",
            )
            if updated == len(ids):
                recorded = group
            else:  # rare: a lease was lost; the rows this UPDATE took carry its `now`
                mine = set(
                    WebhookDelivery.objects.filter(pk__in=ids, completed_at=now).values_list(
                        "pk", flat=True
                    )
                )
                recorded = [sent for sent in group if sent.claim.delivery_id in mine]
                superseded += [sent for sent in group if sent.claim.delivery_id not in mine]
            attempts += [_attempt(sent, sent.claim.number) for sent in recorded]
            outcomes += [metrics.SUCCEEDED] * len(recorded)
        failures = [sent for sent in sents if not sent.outcome.succeeded]
        for sent in failures:
            outcome = sent.outcome
            gone = outcome.status_code == 410
            step = sent.claim.step + 1
            delay = (
                None
                if gone
                else schedule.delay_after_failure(step, retry_after=outcome.retry_after)
            )
            updated = ours.filter(pk=sent.claim.delivery_id).update(
                status=D.FAILED if delay is None else D.PENDING,
                attempt_count=F("attempt_count") + 1,
                schedule_step=step,
                completed_at=now if delay is None else None,
                next_attempt_at=None if delay is None else now + timedelta(seconds=delay),
                lease_until=None,
                claimed_by="",
                last_status_code=outcome.status_code,
                last_error=outcome.error[:500],
            )
            if updated:
                attempts.append(_attempt(sent, sent.claim.number))
                outcomes.append(metrics.FAILED if delay is None else metrics.RETRYING)
                logger.warning(
                    "Webhook %s to endpoint %s failed (attempt %s: %s); %s",
                    sent.claim.event_id,
                    batch.endpoint_id,
                    sent.claim.number,
                    outcome.status_code or outcome.error[:200],
                    "given up" if delay is None else f"next attempt in {delay:.0f} s",
                )
                if delay is not None:
                    retries.append(delay)
            else:
                superseded.append(sent)
        attempts += [_record_superseded(sent, token=token, now=now) for sent in superseded]
        outcomes += [
            metrics.SUCCEEDED if sent.outcome.succeeded else metrics.RETRYING for sent in superseded
        ]
        WebhookAttempt.objects.bulk_create(attempts)
        transaction.on_commit(partial(metrics.attempts_counted, outcomes))
        if any(sent.outcome.status_code == 410 for sent in failures):
            _endpoint_disable(
                endpoint_id=batch.endpoint_id, reason=DisabledReason.GONE, actor="system"
            )
        elif len(failures) < len(sents):
            if batch.failing:
                WebhookEndpoint.objects.filter(pk=batch.endpoint_id).update(failing_since=None)
        elif failures:
            _endpoint_failed(batch.endpoint_id, now=now)
        # A wake-up for each retry's time, to the tenth of a second (each has its own
        # jitter; one woken early would find the later ones not yet due and leave them
        # to the sweeper, a minute later).
        for countdown in sorted({math.ceil(delay * 10) / 10 for delay in retries}):
            if countdown <= COUNTDOWN_MAX_SECONDS:
                transaction.on_commit(
                    partial(
                        webhook_endpoint_deliver_task.apply_async,
                        (batch.endpoint_id,),
                        countdown=countdown,
                    )
                )
        if not claim_next:
            return None
        return _claim(endpoint_id=batch.endpoint_id, token=token, reclaim=False)


def _endpoint_failed(endpoint_id: str, *, now) -> None:
    """Note a failure on the endpoint; disable it once it has failed for the window."""
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(
        failing_since=now
    )
    window_start = now - timedelta(seconds=settings.WEBHOOK_DISABLE_AFTER)
    if WebhookEndpoint.objects.filter(
        pk=endpoint_id, status=EndpointStatus.ENABLED, failing_since__lte=window_start
    ).exists():
        _endpoint_disable(endpoint_id=endpoint_id, reason=DisabledReason.FAILING, actor="system")


def webhook_endpoint_deliver(
    *,
    endpoint_id: str,
    token: str | None = None,
    budget_seconds: float = DRAIN_SECONDS,
    on_attempt: Callable[[Sent], None] | None = None,
    batch: Batch | None = None,
) -> int:
    """Deliver the endpoint's due deliveries, oldest first, in batches of concurrent
    requests (up to its concurrency cap), until none is due, the cap is taken by
    others or the budget is spent (then a new task carries on). Returns attempts made.
    """
    token = token or uuid.uuid4().hex
    stop_at = time.monotonic() + budget_seconds
    if batch is None:
        with transaction.atomic():
            batch = _claim(endpoint_id=endpoint_id, token=token, reclaim=True)
    if batch is None:
        return 0
    attempts, more = 0, True
    # The sender's own threads (at most the cap): one endpoint's slow requests never
    # wait for, or hold up, another endpoint's. As requests finish, their results are
    # recorded and as many new deliveries claimed, so the window stays full.
    with ThreadPoolExecutor(max_workers=settings.WEBHOOK_ENDPOINT_CONCURRENCY) as pool:
        in_flight = {pool.submit(_send_one, batch, claim): claim for claim in batch.claims}
        while in_flight:
            done = _completed(in_flight)
            sents = [future.result() for future in done]
            for future in done:
                del in_flight[future]
            more = more and time.monotonic() < stop_at
            next_batch = _record(batch, sents, token=token, claim_next=more)
            attempts += len(sents)
            if on_attempt is not None:
                for sent in sents:
                    on_attempt(sent)
            if next_batch is not None:
                batch = next_batch
                for claim in batch.claims:
                    in_flight[pool.submit(_send_one, batch, claim)] = claim
    if not more:
        webhook_endpoint_deliver_task.delay(endpoint_id)
    return attempts


# --- resend and the sweeper ---------------------------------------------------------------


def _deliver_again(*, event: Event, endpoint: WebhookEndpoint, actor: str, reason: str):
    now = timezone.now()
    delivery, created = WebhookDelivery.objects.select_for_update().get_or_create(
        event=event, endpoint=endpoint, defaults={"next_attempt_at": now}
    )
    if not created:
        # Also when an attempt is in flight: its sender then finds its claim taken and
        # records the attempt as superseded (a success still counts), while this send
        # starts over with a fresh schedule, as asked.
        delivery.status = D.PENDING
        delivery.next_attempt_at = now
        delivery.schedule_step = 0
        delivery.completed_at = delivery.lease_until = None
        delivery.claimed_by = ""
        delivery.save(
            update_fields=[
                "status",
                "next_attempt_at",
                "schedule_step",
                "completed_at",
                "lease_until",
                "claimed_by",
            ]
        )
    audit_record(
        actor=actor,
        action="webhook_delivery.resent",
        obj=delivery,
        merchant_id=event.merchant_id,
        reason=reason,
        data={"event": event.id, "endpoint": endpoint.id},
    )
    webhook_endpoint_deliver_task.delay_on_commit(endpoint.id)
    return delivery


@transaction.atomic
def webhook_event_resend(
    *, event: Event, actor: str, endpoint: WebhookEndpoint | None = None, reason: str = ""
) -> list[WebhookDelivery]:
    """Send an event again, now and with a fresh retry schedule: to one endpoint, or to
    every enabled endpoint of its merchant and mode subscribed to its type."""
    if endpoint is None:
        endpoints = endpoint_list_subscribed(
            merchant_id=event.merchant_id, livemode=event.livemode, event_type=event.type
        )
    else:
        endpoint = WebhookEndpoint.objects.get(pk=endpoint.pk)
        if endpoint.status != EndpointStatus.ENABLED and endpoint.deleted_at is None:
            raise EndpointDisabled(
                f"Webhook endpoint {endpoint.id} is disabled; enable it again to resend."
            )
        if (
            endpoint.merchant_id != event.merchant_id
            or endpoint.livemode != event.livemode
            or endpoint.deleted_at is not None
            or not is_subscribed(endpoint.enabled_events_at(event.created_at), event.type)
        ):
            raise EndpointNotSubscribed(
                f"Webhook endpoint {endpoint.id} is not enabled for {event.type} events."
            )
        endpoints = [endpoint]
    return [_deliver_again(event=event, endpoint=e, actor=actor, reason=reason) for e in endpoints]


def webhook_delivery_resend(*, delivery: WebhookDelivery, actor: str, reason: str = ""):
    """The admin's resend of one delivery (same rules as the API's resend)."""
    return webhook_event_resend(
        event=delivery.event, endpoint=delivery.endpoint, actor=actor, reason=reason
    )[0]


def webhook_deliveries_recover(*, at) -> int:
    """Deliveries whose lease expired (their worker died mid-request) are due again."""
    return WebhookDelivery.objects.filter(status=D.SENDING, lease_until__lt=at).update(
        status=D.PENDING,
        next_attempt_at=at,
        lease_until=None,
        claimed_by="",
        last_error="the worker holding it stopped; sent again",
    )


def webhook_events_dispatch_pending(*, created_before, limit: int = SWEEP_BATCH) -> int:
    """Fan out events still undispatched (not announced, or their message was lost);
    returns how many."""
    seen: set[str] = set()
    while True:
        event_ids = event_list_undispatched(created_before=created_before, limit=limit)
        fresh = [event_id for event_id in event_ids if event_id not in seen]
        if not fresh:  # none left, or only ones another transaction is dispatching
            return len(seen)
        for event_id in fresh:
            webhook_event_dispatch(event_id=event_id)
        seen.update(fresh)


def webhooks_sweep() -> dict[str, int]:
    """The safety net, run by beat every minute: nothing is lost if a broker message
    or a worker is. Dispatches events still undispatched after WEBHOOK_DISPATCH_GRACE,
    makes deliveries whose lease expired (a dead worker) due again, and wakes every
    endpoint with due deliveries (a sender each: it fills the endpoint's cap)."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.WEBHOOK_DISPATCH_GRACE)
    dispatched = webhook_events_dispatch_pending(created_before=cutoff)
    recovered = webhook_deliveries_recover(at=now)
    due = deliveries_due_by_endpoint(at=timezone.now())
    for endpoint_id in due:
        webhook_endpoint_deliver_task.delay(endpoint_id)
    if recovered:
        logger.warning("Webhook sweep: %s deliveries of dead workers recovered", recovered)
    if dispatched:  # mostly events no endpoint subscribed to, hence never announced
        logger.info("Webhook sweep: %s events dispatched after the grace", dispatched)
    return {"dispatched": dispatched, "recovered": recovered, "woken": len(due)}
