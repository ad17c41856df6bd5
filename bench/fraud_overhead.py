#!/usr/bin/env python3
"""What fraud screening adds to each payment: p50 and p99 of the scoring latency.

    .venv/bin/python bench/fraud_overhead.py [--payments 2000] [--redis-url redis://...]

Measures, per payment, exactly the work screening adds to `payment_create`: building
the signals (vault reads of BIN and billing details, the new-customer query), scoring
(settings, blocklists, usual amount, the velocity counters: record and count in one
round trip) and saving the assessment in the payment's transaction. Twice: with the
velocity counters in the database (the embedded default) and in Redis.

Without DATABASE_URL it runs on a throwaway SQLite file in WAL mode (the embedded
default); with DATABASE_URL (PostgreSQL) on that database, creating and then deleting
a throwaway merchant's rows is left to you: use a scratch database.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=2000, help="payments per scenario")
    parser.add_argument("--cards", type=int, default=500, help="distinct cards used")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/9"
    )
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="fraud-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/bench.sqlite3")
    os.environ.pop("REDIS_URL", None)  # the scenarios choose the counters themselves
    os.environ["DJANGO_SETTINGS_MODULE"] = "gateway.settings.test"  # throwaway secrets
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    from merchants.services import merchant_create
    from payments.models import Payment
    from payments.services.payment_methods import payment_method_create
    from payments.services.screening import payment_screen, screening_save
    from payments.tests.helpers import random_pan

    merchant, _ = merchant_create(name="Bench", email="bench@example.com", actor="bench")
    cards = [
        payment_method_create(
            merchant=merchant,
            livemode=False,
            card={"number": random_pan(), "exp_month": 12, "exp_year": 2040},
            billing_details={"email": f"buyer{i}@example.com", "address": {"country": "US"}},
        )[0]
        for i in range(args.cards)
    ]

    def run(label: str, redis_url: str) -> None:
        settings.REDIS_URL = redis_url
        timings = []
        for i in range(args.payments + 100):  # the first 100 warm up
            payment = Payment(
                merchant=merchant,
                livemode=False,
                amount_minor=1000 + i % 50,
                currency="usd",
                payment_method=cards[i % len(cards)],
                risk_context={"ip_address": f"198.51.100.{i % 250}", "device_id": f"d{i % 300}"},
                client_secret="bench-only",  # noqa: S106 - never saved by a real request
            )
            started = time.perf_counter()
            screening = payment_screen(payment)
            scored = time.perf_counter()
            with transaction.atomic():
                payment.save(force_insert=True)
                saving = time.perf_counter()
                screening_save(screening)
                saved = time.perf_counter()
            if i >= 100:
                timings.append((scored - started) + (saved - saving))
        cuts = statistics.quantiles(timings, n=100)
        print(
            f"{label:<44} p50 {cuts[49] * 1000:6.2f} ms   p99 {cuts[98] * 1000:6.2f} ms"
            f"   ({len(timings)} payments)"
        )

    print(f"database: {connection.vendor}; scoring added per payment:")
    run("velocity counters in the database (embedded)", "")
    try:
        import redis

        redis.Redis.from_url(args.redis_url, socket_connect_timeout=1).ping()
    except Exception as exc:  # report and skip
        print(f"velocity counters in Redis: skipped ({exc})")
        return
    run("velocity counters in Redis", args.redis_url)


if __name__ == "__main__":
    main()
