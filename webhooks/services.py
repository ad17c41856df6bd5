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
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from gateway.audit import audit_record
from gateway.crypto import seal
from gateway.events import Event, event_emit, event_list_undispatched, event_mark_dispatched
from webhooks import delivery, schedule, signing, ssrf
from webhooks.enums import DeliveryStatus, DisabledReason, EndpointStatus
from webhooks.event_types import is_subscribed
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.representations import endpoint_snapshot, event_body
from webhooks.selectors import (
    deliveries_due_by_endpoint,
    endpoint_list_subscribed,
    endpoint_secrets,
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


class EndpointNotSubscribed(ValueError):
    """Resend asked for an endpoint that does not take this event (or is disabled)."""


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
    """A new enabled endpoint with a fresh secret; the URL passes the SSRF policy."""
    ssrf.check(url, livemode=livemode)
    endpoint = WebhookEndpoint(
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
        endpoint.enabled_events = changes["enabled_events"] = enabled_events
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
    for 24 hours (receivers see two `v1,` signatures), so they can switch without a gap.
    A secret older than the one replaced is dropped at once."""
    endpoint = _locked(endpoint)
    endpoint.previous_secret_ciphertext = endpoint.secret_ciphertext
    endpoint.previous_secret_expires_at = timezone.now() + SECRET_OVERLAP
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
    }
    subject = render_to_string("webhooks/endpoint_disabled_subject.txt", context).strip()
    body = render_to_string("webhooks/endpoint_disabled.txt", context)
    send_mail(subject, body, None, [endpoint.merchant.email])


# --- fan-out from the outbox ------------------------------------------------------------


def webhook_event_dispatch(*, event_id: str) -> list[str]:
    """Turn one committed event into a delivery per subscribed endpoint, exactly once.

    Marks the event dispatched in the same transaction, so the sweeper skips it; a
    second dispatch of the same event (the sweeper racing the on-commit message)
    finds it marked and does nothing. Returns the endpoints that got a delivery.
    """
    with transaction.atomic():
        now = timezone.now()
        if not event_mark_dispatched(event_id=event_id, at=now):
            return []
        event = Event.objects.only("id", "merchant_id", "livemode", "type").get(pk=event_id)
        endpoint_ids = [
            endpoint.id
            for endpoint in endpoint_list_subscribed(
                merchant_id=event.merchant_id, livemode=event.livemode, event_type=event.type
            )
        ]
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(event_id=event_id, endpoint_id=endpoint_id, next_attempt_at=now)
                for endpoint_id in endpoint_ids
            ],
            ignore_conflicts=True,
        )
        for endpoint_id in endpoint_ids:
            webhook_endpoint_deliver_task.delay_on_commit(endpoint_id)
    return endpoint_ids


# --- delivery --------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    endpoint_id: str
    event_id: str
    url: str
    livemode: bool
    secrets: list[str]
    body: bytes
    endpoint_failing: bool  # the endpoint has failed since its last success


def _claim(*, endpoint_id: str, token: str, reclaim: bool) -> Claim | None:
    """Lease the endpoint's next due delivery to `token`, within the concurrency cap.

    The endpoint row lock serializes claims for one endpoint, so the in-flight count
    is exact; a claimer that finds the cap reached can leave, because each worker in
    flight claims again after recording its attempt.
    """
    with transaction.atomic():
        now = timezone.now()
        endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
        if endpoint is None:
            return None
        deliveries = WebhookDelivery.objects.filter(endpoint_id=endpoint_id)
        if endpoint.status != EndpointStatus.ENABLED or endpoint.deleted_at is not None:
            _fail_waiting(endpoint, "endpoint disabled")
            return None
        # A message redelivered after its worker died carries the same task id: take
        # back what that run had leased instead of waiting for the lease to expire.
        delivery = None
        if reclaim:
            delivery = (
                deliveries.filter(status=D.SENDING, claimed_by=token)
                .select_related("event")
                .first()
            )
        if delivery is None:
            in_flight = deliveries.filter(status=D.SENDING, lease_until__gt=now).count()
            if in_flight >= settings.WEBHOOK_ENDPOINT_CONCURRENCY:
                return None
            delivery = (
                deliveries.filter(status=D.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "id")
                .select_related("event")
                .select_for_update(skip_locked=True, of=("self",))
                .first()
            )
            if delivery is None:
                return None
        delivery.status = D.SENDING
        delivery.claimed_by = token
        delivery.lease_until = now + timedelta(seconds=settings.WEBHOOK_DELIVERY_LEASE)
        delivery.save(update_fields=["status", "claimed_by", "lease_until"])
        return Claim(
            delivery_id=delivery.id,
            endpoint_id=endpoint.id,
            event_id=delivery.event_id,
            url=endpoint.url,
            livemode=endpoint.livemode,
            secrets=endpoint_secrets(endpoint, at=now),
            body=json.dumps(event_body(delivery.event), separators=(",", ":")).encode(),
            endpoint_failing=endpoint.failing_since is not None,
        )


def _send(claim: Claim) -> tuple[int, delivery.Outcome]:
    timestamp = int(time.time())
    headers = signing.headers(
        claim.secrets, msg_id=claim.event_id, timestamp=timestamp, body=claim.body
    )
    outcome = delivery.post(
        claim.url,
        body=claim.body,
        headers=headers,
        livemode=claim.livemode,
        timeout=settings.WEBHOOK_TIMEOUT,
    )
    return timestamp, outcome


def _record(*, claim: Claim, token: str, started_at, timestamp: int, outcome) -> float | None:
    """Store the attempt and move the delivery on; returns the retry delay, if any."""
    retry_in = None
    with transaction.atomic():
        now = timezone.now()
        delivery = WebhookDelivery.objects.select_for_update().get(pk=claim.delivery_id)
        delivery.attempt_count += 1
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempt_count,
            started_at=started_at,
            webhook_timestamp=timestamp,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_body=outcome.body,
            error=outcome.error[:500],
            succeeded=outcome.succeeded,
        )
        fields = ["attempt_count", "last_status_code", "last_error"]
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error[:500]
        still_ours = delivery.status == D.SENDING and delivery.claimed_by == token
        if outcome.succeeded and delivery.status != D.SUCCEEDED:
            delivery.status, delivery.completed_at = D.SUCCEEDED, now
            delivery.next_attempt_at = delivery.lease_until = None
            delivery.claimed_by = ""
            fields += ["status", "completed_at", "next_attempt_at", "lease_until", "claimed_by"]
            if claim.endpoint_failing:
                WebhookEndpoint.objects.filter(pk=claim.endpoint_id).update(failing_since=None)
        elif not outcome.succeeded and still_ours:
            delivery.schedule_step += 1
            retry_in = (
                None
                if outcome.status_code == 410
                else schedule.delay_after_failure(
                    delivery.schedule_step, retry_after=outcome.retry_after
                )
            )
            if retry_in is None:
                delivery.status, delivery.completed_at = D.FAILED, now
                delivery.next_attempt_at = None
            else:
                delivery.status = D.PENDING
                delivery.next_attempt_at = now + timedelta(seconds=retry_in)
            delivery.lease_until, delivery.claimed_by = None, ""
            fields += [
                "schedule_step",
                "status",
                "completed_at",
                "next_attempt_at",
                "lease_until",
                "claimed_by",
            ]
            _endpoint_failed(claim.endpoint_id, now=now, gone=outcome.status_code == 410)
        delivery.save(update_fields=fields)
        if retry_in is not None and retry_in <= COUNTDOWN_MAX_SECONDS:
            transaction.on_commit(
                lambda: webhook_endpoint_deliver_task.apply_async(
                    (claim.endpoint_id,), countdown=retry_in
                )
            )
    return retry_in


def _endpoint_failed(endpoint_id: str, *, now, gone: bool) -> None:
    """Note a failure on the endpoint; disable it on 410 or after the disable window."""
    if gone:
        _endpoint_disable(endpoint_id=endpoint_id, reason=DisabledReason.GONE, actor="system")
        return
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
    on_attempt: Callable[[Claim, delivery.Outcome], None] | None = None,
) -> int:
    """Deliver the endpoint's due deliveries, oldest first, one at a time, until none
    is due, the endpoint's concurrency cap is reached or the budget is spent (then a
    new task carries on). Returns how many attempts were made."""
    token = token or uuid.uuid4().hex
    stop_at = time.monotonic() + budget_seconds
    attempts = 0
    while claim := _claim(endpoint_id=endpoint_id, token=token, reclaim=attempts == 0):
        started_at = timezone.now()
        timestamp, outcome = _send(claim)
        _record(
            claim=claim, token=token, started_at=started_at, timestamp=timestamp, outcome=outcome
        )
        attempts += 1
        if on_attempt is not None:
            on_attempt(claim, outcome)
        if time.monotonic() >= stop_at:
            webhook_endpoint_deliver_task.delay(endpoint_id)
            break
    return attempts


# --- resend and the sweeper ---------------------------------------------------------------


def _deliver_again(*, event: Event, endpoint: WebhookEndpoint, actor: str, reason: str):
    now = timezone.now()
    delivery, created = WebhookDelivery.objects.select_for_update().get_or_create(
        event=event, endpoint=endpoint, defaults={"next_attempt_at": now}
    )
    if not created and delivery.status != D.SENDING:
        delivery.status = D.PENDING
        delivery.next_attempt_at = now
        delivery.schedule_step = 0
        delivery.completed_at = None
        delivery.save(update_fields=["status", "next_attempt_at", "schedule_step", "completed_at"])
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
        if (
            endpoint.merchant_id != event.merchant_id
            or endpoint.livemode != event.livemode
            or endpoint.deleted_at is not None
            or endpoint.status != EndpointStatus.ENABLED
            or not is_subscribed(endpoint.enabled_events, event.type)
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


def webhooks_sweep(*, budget_seconds: float = 30) -> dict[str, int]:
    """The safety net, run by beat every minute: nothing is lost if a broker message
    or a worker is. Dispatches events still undispatched after WEBHOOK_DISPATCH_GRACE,
    makes deliveries whose lease expired (a dead worker) due again, and wakes every
    endpoint with due deliveries (up to its concurrency cap)."""
    stop_at = time.monotonic() + budget_seconds
    now = timezone.now()
    dispatched = 0
    cutoff = now - timedelta(seconds=settings.WEBHOOK_DISPATCH_GRACE)
    while time.monotonic() < stop_at:
        event_ids = event_list_undispatched(created_before=cutoff, limit=SWEEP_BATCH)
        for event_id in event_ids:
            webhook_event_dispatch(event_id=event_id)
            dispatched += 1
        if len(event_ids) < SWEEP_BATCH:
            break
    recovered = WebhookDelivery.objects.filter(status=D.SENDING, lease_until__lt=now).update(
        status=D.PENDING,
        next_attempt_at=now,
        lease_until=None,
        claimed_by="",
        last_error="the worker holding it stopped; sent again",
    )
    woken = 0
    for endpoint_id, due in deliveries_due_by_endpoint(at=timezone.now()).items():
        for _ in range(min(due, settings.WEBHOOK_ENDPOINT_CONCURRENCY)):
            webhook_endpoint_deliver_task.delay(endpoint_id)
            woken += 1
    if dispatched or recovered:
        logger.warning(
            "Webhook sweep: %s events dispatched late, %s deliveries recovered",
            dispatched,
            recovered,
        )
    return {"dispatched": dispatched, "recovered": recovered, "woken": woken}
