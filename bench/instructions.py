#!/usr/bin/env python3
"""Instructions the application spends per request, counted by valgrind's callgrind.

    python bench/instructions.py --key sk_test_... [--endpoint payment|insert] [--requests 40]

Seconds on a shared machine drift by a third within minutes; instruction counts do not,
so this shows what a change to the payment path saves (or costs) to within a percent or
two (random ids and the clock still vary a little).
It runs the requests in process, through Django's test client, against the database
and Redis of the environment (the benchmark's: `DJANGO_SETTINGS_MODULE=
bench.reference.settings`, `DATABASE_URL`, `REDIS_URL`, as for `api_load.py`). Two runs
under callgrind, one with the warm-up alone and one with the requests after it: the
difference divided by the requests is printed. Needs valgrind; takes a minute or two.
PostgreSQL's own work is not counted (another process).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

WARM_UP = 20
CARD = {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                  "exp_year": 2040, "cvc": "123"}}  # fmt: skip


def _requests(key: str, endpoint: str, count: int) -> None:
    """In the child process: the warm-up, then `count` requests."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="127.0.0.1")
    if endpoint == "payment":
        first = {"amount": 1000, "currency": "usd", "payment_method_data": CARD}
        saved = client.post("/v1/payments", first, content_type="application/json").json()
        path, body = "/v1/payments", {"amount": 1000, "currency": "usd",
                                      "payment_method": saved["payment_method"]}  # fmt: skip
    else:
        path, body = "/bench/insert", {"amount": 1000}
    for _ in range(WARM_UP + count):
        response = client.post(path, body, content_type="application/json")
        if response.status_code != 200:
            sys.exit(f"{path} answered {response.status_code}: {response.content[:300]!r}")


def _instructions(args, count: int, folder: str) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={folder}/callgrind.{count}",
        sys.executable,
        __file__,
        "--key", args.key, "--endpoint", args.endpoint, "--child", str(count),
    ]  # fmt: skip
    # A fixed hash seed: dict and set layouts, and so the instructions, repeat.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        sys.exit(done.stderr[-2000:])
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--key", required=True, help="a test-mode secret key (sk_test_…)")
    parser.add_argument("--endpoint", choices=["payment", "insert"], default="payment")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _requests(args.key, args.endpoint, args.child)
        return
    with tempfile.TemporaryDirectory() as folder:
        base = _instructions(args, 0, folder)
        total = _instructions(args, args.requests, folder)
    label = "create+capture, saved card" if args.endpoint == "payment" else "bare insert"
    print(f"{label}: {(total - base) / args.requests / 1e6:.2f} M instructions per request "
          f"(application only; {args.requests} requests after {WARM_UP} to warm up)")  # fmt: skip


if __name__ == "__main__":
    main()
