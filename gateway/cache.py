"""Django's Redis cache with one client per connection pool instead of one per call.

Django builds a new `redis.Redis` for every cache operation, and redis-py fills a
fresh table of response callbacks each time: about 0.2 ms of CPU per operation here,
more than the round trip itself. A client is safe to share between threads (each
command borrows a connection from the pool), so each pool keeps one.

The cached reads fail open: with Redis unreachable they read the database, so payments
go on (TESTING T29).
"""

import logging
import uuid

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = {}  # connection pool -> its client

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients.setdefault(pool, self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient


def cache_is_shared() -> bool:
    """Whether every process sees the same cache, so that busting an entry in one
    reaches all. The embedded default's cache lives in each process."""
    return not isinstance(caches[DEFAULT_CACHE_ALIAS], (LocMemCache, DummyCache))


GENERATION_SECONDS = 24 * 3600  # longer than any cached value lives


def _generation_key(key: str) -> str:
    return f"{key}:generation"


def _value_key(key: str) -> str:
    """Where `cached_or_load` keeps (generation, value): a key of its own, which
    processes still running the code before generations never read."""
    return f"{key}:cached"


def cached_or_load(key: str, load, *, seconds: int, prefetched: dict | None = None):
    """The cached value of `key` (None included), loaded and cached when absent or stale;
    `prefetched` is what `cached_many` read (the key and its generation).

    A change moves the key to a new generation at its commit (`forget_on_commit`), and
    a value counts only under the generation read before it was loaded. A reader that
    loaded the rows just before a change committed may still store them, but under the
    old generation, so nobody reads them: busting by deleting could not prevent that.
    Where the cache is not shared, a change could not reach the other processes'
    copies: it loads every time, so that no process goes on acting on settings another
    one changed.
    """
    if not cache_is_shared():
        return load()
    if prefetched is None:
        prefetched = cached_many([key])
    stored = prefetched.get(_value_key(key))
    generation = prefetched.get(_generation_key(key))
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == generation:
        return stored[1]
    value = load()
    try:
        cache.set(_value_key(key), (generation, value), seconds)
    except RedisError:
        logger.warning("Cache unreachable writing %s", key)
    return value


def cached_many(keys: list[str]) -> dict:
    """The cached values of `keys` and their generations in one round trip, for
    `cached_or_load(prefetched=)`. Nothing where the cache is not shared, or is
    unreachable: the readers load from the database then (payments go on, T29)."""
    if not cache_is_shared():
        return {}
    try:
        return cache.get_many([*map(_value_key, keys), *map(_generation_key, keys)])
    except RedisError:
        logger.warning("Cache unreachable reading %s; reading the database", keys)
        return {}


def forget_on_commit(key: str) -> None:
    """Cache busting for a change: at its commit, the key moves to a new generation, and
    what was cached under the old one is no longer read (cached_or_load). The plain key,
    where processes still running the code before generations cache, goes too."""

    def forget() -> None:
        cache.set(_generation_key(key), uuid.uuid4().hex, GENERATION_SECONDS)
        cache.delete(key)

    transaction.on_commit(forget, robust=True)
