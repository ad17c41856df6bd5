"""Django's Redis cache with one client per connection pool instead of one per call.

Django builds a new `redis.Redis` for every cache operation, and redis-py fills a
fresh table of response callbacks each time: about 0.2 ms of CPU per operation here,
more than the round trip itself. A client is safe to share between threads (each
command borrows a connection from the pool), so each pool keeps one.

The cached reads fail open: with Redis unreachable they read the database, so payments
go on (TESTING T29).
"""

import logging

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


def cached_or_load(key: str, load, *, seconds: int, prefetched: dict | None = None):
    """The cached value of `key` (None included), loaded and cached when absent;
    `prefetched` holds values already read with `cache.get_many`. Where the cache is
    not shared, a change could not reach the other processes' copies: it loads every
    time, so that no process goes on acting on settings another one changed."""
    if not cache_is_shared():
        return load()
    if prefetched is not None and key in prefetched:
        return prefetched[key]
    missing = object()
    try:
        value = cache.get(key, missing)
    except RedisError:  # the database still answers: payments go on without the cache
        logger.warning("Cache unreachable reading %s; reading the database", key)
        return load()
    if value is missing:
        value = load()
        try:
            cache.set(key, value, seconds)
        except RedisError:
            logger.warning("Cache unreachable writing %s", key)
    return value


def cached_many(keys: list[str]) -> dict:
    """`cache.get_many`, or nothing where the cache is not shared or is unreachable (the
    readers then load from the database)."""
    if not cache_is_shared():
        return {}
    try:
        return cache.get_many(keys)
    except RedisError:
        logger.warning("Cache unreachable reading %d keys; reading the database", len(keys))
        return {}


def forget_on_commit(key: str) -> None:
    """Cache busting for a change: at its commit, since a reader between the delete
    and the commit would cache the rows as they were again."""
    transaction.on_commit(lambda: cache.delete(key), robust=True)
