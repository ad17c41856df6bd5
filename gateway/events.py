"""The transactional outbox: every state change writes its Event in the same transaction.

`event_emit` refuses to run outside an atomic block, so an event can never describe a
change that rolled back, and a change can never commit without its event. Delivery
to merchants reads from this table (`dispatched_at` marks what has been handed over).

Consumers of the outbox (the webhooks app) are named in `EVENT_OUTBOX_CONSUMERS` as
Celery task names. Once the change commits each one is sent the event id by name, so
this kernel never imports them; a message lost on the way (broker down, process
killed right after the commit) is found again by the consumer's own sweeper, which
looks for events with `dispatched_at IS NULL`. A consumer may name a function that
says whether it wants an event at all, asked as the event is written: an event no
consumer wants is not announced (a broker message costs the request more than its
database writes) and waits for the sweeper instead, so an answer that is stale (an
endpoint created a moment ago) only delays the event, never loses it. Such an event
is marked (`announced` false), so that its wait is not taken for the outbox's lag.
The filter runs inside the change's transaction: it must be quick (the webhooks one
reads a cached answer) and answer True when it cannot tell.
"""

import functools
import logging
from datetime import datetime

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError

from gateway.celery import app as celery_app
from gateway.db import in_transaction
from gateway.idempotency import idempotency_key_var
from gateway.ids import PrefixedIdField
from gateway.logging import request_id_var

logger = logging.getLogger(__name__)


class Event(models.Model):
    id = PrefixedIdField(prefix="evt")
    merchant = models.ForeignKey(  # indexed first in event_list
        "merchants.Merchant", on_delete=models.PROTECT, related_name="events", db_index=False
    )
    livemode = models.BooleanField()
    type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=40, help_text="The object the event is about")
    data = models.JSONField(help_text='{"object": snapshot of the object after the change}')
    request_id = models.CharField(max_length=40, blank=True)
    idempotency_key = models.CharField(
        max_length=255, blank=True, help_text="The Idempotency-Key of the request, if any"
    )
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    announced = models.BooleanField(
        default=True,
        db_default=True,  # rows written by a release before this column
        help_text="Sent to its consumers at commit; one none wanted waits for their "
        "sweepers, and is no lag",
    )

    class Meta:
        app_label = "gateway"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["merchant", "livemode", "-id"], name="event_list"),
            models.Index(fields=["object_id", "id"], name="event_object"),
            models.Index(
                fields=["id"],
                condition=models.Q(dispatched_at__isnull=True),
                name="event_undispatched",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


def events_oldest_undispatched(now: datetime) -> datetime | None:
    """When the oldest event its consumers were sent and have not taken yet was
    written (the outbox's lag in /metrics). One no consumer wanted is not waited for:
    it is there for a sweeper to find, in case the answer was stale."""
    return (
        Event.objects.filter(dispatched_at__isnull=True, announced=True)
        .order_by("id")
        .values_list("created_at", flat=True)
        .first()
    )


def previous_attributes(before: dict, after: dict) -> dict:
    """The fields of `before` that `after` changed, with their earlier values: an
    `*.updated` event's `data.previous_attributes`, as Stripe's."""
    return {key: before.get(key) for key, value in after.items() if before.get(key) != value}


def event_emit(
    *,
    type: str,
    snapshot: dict,
    merchant_id: str,
    livemode: bool,
    previous: dict | None = None,
) -> Event:
    """Record that `snapshot["id"]` changed; call inside the transaction of the change.
    `previous`: the object as it was before an update (`data.previous_attributes`)."""
    if not in_transaction():
        raise RuntimeError("event_emit must run inside the transaction of the change")
    consumers = [
        name
        for name, wants in settings.EVENT_OUTBOX_CONSUMERS.items()
        if not wants or _is_wanted(wants, merchant_id=merchant_id, livemode=livemode, type=type)
    ]
    event = Event.objects.create(
        merchant_id=merchant_id,
        livemode=livemode,
        type=type,
        object_id=snapshot["id"],
        data={"object": snapshot}
        if previous is None
        else {"object": snapshot, "previous_attributes": previous_attributes(previous, snapshot)},
        request_id=request_id_var.get() or "",
        idempotency_key=idempotency_key_var.get() or "",
        announced=bool(consumers),
    )
    if consumers:
        transaction.on_commit(functools.partial(event_publish, event, consumers))
    return event


@functools.cache
def _wants(path: str):
    """A consumer's `(merchant_id=, livemode=, type=) -> bool`, imported once."""
    return import_string(path)


def _is_wanted(wants: str, *, merchant_id: str, livemode: bool, type: str) -> bool:
    """The consumer's answer; True when it cannot give one (announcing too much only
    costs a message)."""
    try:
        return _wants(wants)(merchant_id=merchant_id, livemode=livemode, type=type)
    except Exception:
        logger.exception("Outbox consumer filter %s failed for a %s; announcing", wants, type)
        return True


def event_publish(event: Event, consumers: list[str]) -> None:
    """Hand a committed event to the outbox consumer tasks that want it, by name.

    Best effort by design: if the broker cannot take the message the event stays
    undispatched and the consumer's sweeper delivers it later, so a payment request
    never fails (or hangs on retries) because the broker is away.
    """
    for name in consumers:
        if celery_app.conf.task_always_eager:
            celery_app.tasks[name].apply(args=(event.id,))
            continue
        try:
            celery_app.send_task(name, args=(event.id,), retry=False)
        except OperationalError:
            logger.warning(
                "Outbox consumer %s not reached for %s; its sweeper will", name, event.id
            )


def events_claim_for_dispatch(*, event_id: str, batch: int, at: datetime) -> list[Event]:
    """For a consumer's transaction: mark this event dispatched, with up to `batch - 1`
    other undispatched events (oldest first) no other transaction holds; return them.

    Empty when the event is already dispatched (or being dispatched): exactly one
    transaction gets each event. Row locks with SKIP LOCKED let concurrent consumers
    take disjoint batches.
    """
    undispatched = (
        Event.objects.filter(dispatched_at__isnull=True)
        .select_for_update(skip_locked=True)
        .only("id", "merchant_id", "livemode", "type", "created_at")
    )
    events = list(undispatched.filter(pk=event_id))
    if not events:
        return []
    if batch > 1:
        events += list(undispatched.exclude(pk=event_id).order_by("id")[: batch - 1])
    Event.objects.filter(pk__in=[event.pk for event in events]).update(dispatched_at=at)
    return events


def event_list_undispatched(*, created_before: datetime, limit: int) -> list[str]:
    """Ids of committed events no consumer has taken yet, oldest first."""
    return list(
        Event.objects.filter(dispatched_at__isnull=True, created_at__lt=created_before)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
