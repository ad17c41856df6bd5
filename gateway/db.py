"""Database helpers shared by the apps."""

from django.db import connection


def in_transaction() -> bool:
    """True inside an atomic block opened by our code.

    The blocks a test case opens around each test do not count, so the guards built
    on this ("events only inside the change's transaction", "no provider call inside
    one") behave in tests exactly as in production.
    """
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)
