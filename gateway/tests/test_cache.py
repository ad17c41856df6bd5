"""The Redis cache keeps one client per connection pool, says whether it is shared, and
never lets a value loaded before a change be read after it."""

import pytest
from django.core.cache import cache, caches

import gateway.cache
from gateway.cache import (
    RedisCache,
    cache_is_shared,
    cached_many,
    cached_or_load,
    forget_on_commit,
)

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


@pytest.fixture
def shared_cache(monkeypatch):
    """A cache shared as Redis is: the LocMem cache, said to be shared."""
    monkeypatch.setattr(gateway.cache, "cache_is_shared", lambda: True)
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_a_value_loaded_just_before_a_change_committed_is_never_read(
    shared_cache, django_capture_on_commit_callbacks
):
    # given: a reader that read the cache (empty) and then the rows, as they were
    read_before = cached_many(["settings:m1"])

    # when: a change commits before that reader stores what it loaded
    with django_capture_on_commit_callbacks(execute=True):
        forget_on_commit("settings:m1")
    stale = cached_or_load("settings:m1", lambda: "old rows", seconds=60, prefetched=read_before)

    # then: the next reader loads the rows again; the old ones are never read
    assert stale == "old rows"
    assert cached_or_load("settings:m1", lambda: "new rows", seconds=60) == "new rows"
    assert cached_or_load("settings:m1", lambda: "not read", seconds=60) == "new rows"


def test_without_a_change_the_cached_value_is_read(shared_cache):
    assert cached_or_load("accounts:m1", lambda: ["a"], seconds=60) == ["a"]
    assert cached_or_load("accounts:m1", lambda: ["not read"], seconds=60) == ["a"]
    assert cached_or_load("none:m1", lambda: None, seconds=60) is None  # None is a value
    assert cached_or_load("none:m1", lambda: "not read", seconds=60) is None


@pytest.mark.django_db
def test_older_code_sharing_the_cache_never_meets_a_value_it_cannot_read(
    shared_cache, django_capture_on_commit_callbacks
):
    # given: the plain key, as code before generations caches it
    cache.set("accounts:m2", ["old code's rows"])

    # when: this code caches, and a change commits
    cached_or_load("accounts:m2", lambda: ["rows"], seconds=60)
    stored_by_older_code = cache.get("accounts:m2")
    with django_capture_on_commit_callbacks(execute=True):
        forget_on_commit("accounts:m2")

    # then: the plain key kept older code's own value, and the change busts it too
    assert stored_by_older_code == ["old code's rows"]
    assert cache.get("accounts:m2") is None
