"""Helpers for the tests that race real threads against PostgreSQL."""

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
