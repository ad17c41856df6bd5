"""Helpers for the tests that race real threads against PostgreSQL."""

import threading
from contextlib import nullcontext

from django.db import connection


def connection_slots(wanted: int) -> int:
    """How many connections racing threads may hold at once on this shared server.

    PostgreSQL's default max_connections is 100 and other databases on the same server
    use some, so 100 threads each holding one would fail to connect. Half of what is
    free plays the part of a worker pool; every thread still starts at the barrier.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity"
        )
        free = cursor.fetchone()[0]
    return max(10, min(wanted, free // 2))


def run_concurrently(count: int, work, *, at_once: int | None = None) -> list:
    """Run `work(index)` in `count` threads released together by a barrier; their
    results in order. `at_once` caps how many run `work` at the same moment (see
    `connection_slots`). An exception in a thread is re-raised here."""
    barrier = threading.Barrier(count)
    slots = threading.BoundedSemaphore(at_once) if at_once else nullcontext()
    results: list = [None] * count
    errors: list[BaseException] = []

    def runner(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            with slots:
                results[index] = work(index)
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results
