"""The Redis cache keeps one client per connection pool, and says whether it is shared."""

import pytest
from django.core.cache import caches

from gateway.cache import RedisCache, cache_is_shared

REDIS = {"BACKEND": "gateway.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/0"}


def test_one_client_serves_every_call_on_a_pool():
    backend = RedisCache(REDIS["LOCATION"], {})._cache

    assert backend.get_client() is backend.get_client(write=True)


@pytest.mark.parametrize(
    "backend, shared",
    [
        (REDIS, True),
        ({"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, False),
        ({"BACKEND": "django.core.cache.backends.dummy.DummyCache"}, False),
    ],
)
def test_only_a_cache_outside_the_process_is_shared(settings, backend, shared):
    settings.CACHES = {"default": backend}

    assert cache_is_shared() is shared
    assert caches["default"].__class__.__name__ in backend["BACKEND"]
