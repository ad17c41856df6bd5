"""Sliding-window counters for the velocity rules: Redis sorted sets when REDIS_URL is
set, a database table on the embedded default.

One call, `observe`, records events and then counts distinct members per key within a
window, in one round trip (a Redis pipeline; on the database one insert and one
aggregate query). A key is a sorted set of members scored by time: a payment id for
attempts (each counts once), a card fingerprint for "cards seen on a device" (a card
seen twice counts once).
"""

import functools
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, Protocol

import redis
from django.conf import settings
from django.db import connection

from fraud.models import CounterEvent

REDIS_PREFIX = "fraud:v1:"
LONGEST_WINDOW = 24 * 60 * 60  # what the database keeps; Redis keys expire on their own


class Event(NamedTuple):
    key: str
    member: str
    keep: int  # seconds the event matters: the longest window it is counted in


class Window(NamedTuple):
    key: str
    seconds: int


class Counters(Protocol):
    def observe(self, *, now: float, record: list[Event], count: list[Window]) -> list[int]:
        """Record `record`, then return the distinct members of each window in `count`."""


class RedisCounters:
    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def observe(self, *, now: float, record: list[Event], count: list[Window]) -> list[int]:
        pipe = self.client.pipeline(transaction=False)
        for event in record:
            key = REDIS_PREFIX + event.key
            pipe.zadd(key, {event.member: now})
            pipe.zremrangebyscore(key, "-inf", now - event.keep)
            pipe.expire(key, event.keep)
        for window in count:
            pipe.zcount(REDIS_PREFIX + window.key, now - window.seconds, "+inf")
        return pipe.execute()[3 * len(record) :]


class DatabaseCounters:
    def observe(self, *, now: float, record: list[Event], count: list[Window]) -> list[int]:
        at = datetime.fromtimestamp(now, tz=UTC)
        if record:
            CounterEvent.objects.bulk_create(
                CounterEvent(key=event.key, member=event.member, at=at) for event in record
            )
        if not count:
            return []
        # One statement of one indexed range count per window (key, then time).
        table = connection.ops.quote_name(CounterEvent._meta.db_table)
        subquery = f"(SELECT COUNT(DISTINCT member) FROM {table} WHERE key = %s AND at >= %s)"  # noqa: S608
        params = [
            value
            for window in count
            for value in (window.key, at - timedelta(seconds=window.seconds))
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join([subquery] * len(count))}", params)
            return list(cursor.fetchone())

    @staticmethod
    def purge(*, now: datetime) -> int:
        """Delete events older than the longest window; returns how many."""
        cutoff = now - timedelta(seconds=LONGEST_WINDOW)
        deleted, _ = CounterEvent.objects.filter(at__lt=cutoff).delete()
        return deleted


@functools.cache
def _redis_counters(url: str) -> RedisCounters:
    return RedisCounters(url)


def counters() -> Counters:
    """The backend for this configuration: Redis when REDIS_URL is set."""
    if settings.REDIS_URL:
        return _redis_counters(settings.REDIS_URL)
    return DatabaseCounters()
