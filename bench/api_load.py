#!/usr/bin/env python3
"""Load benchmark for the payments API. Starts nothing: point it at a running server.

    python bench/api_load.py --base-url http://127.0.0.1:8000 --key sk_test_... \
        --clients 8 --seconds 20

Each client first saves a card (one payment with `payment_method_data`), then loops
creating payments with that saved payment method for the given time: with
`--flow auto` (default) one request creates and captures; with `--flow manual` a
payment is authorized and then captured (two requests, counted as one payment). In
the same run it drives `GET /v1/account` as the in-product reference and, when the
server runs `bench.reference.settings`, `POST /bench/insert`: a bare authenticated DRF
endpoint that inserts one row, the floor the payments figure is judged against; the
bare insert and the payments then alternate for `--rounds` rounds. Prints payments/s
(or requests/s), p50, p99 and the error count for each run, and the median over the
rounds of payments/s to the bare insert's requests/s.

Only the Python standard library is used, so it runs from any interpreter.
"""

import argparse
import http.client
import json
import statistics
import threading
import time
import urllib.parse

CARD = {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                  "exp_year": 2040, "cvc": "123"}}  # fmt: skip


class Client:
    """One keep-alive HTTP connection with the merchant's key."""

    def __init__(self, base_url: str, key: str) -> None:
        url = urllib.parse.urlsplit(base_url)
        self.connection = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        payload = json.dumps(body) if body is not None else None
        self.connection.request(method, path, body=payload, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, json.loads(body) if is_json and body else {}


def _payment_loop(client: Client, flow: str, deadline: float, latencies: list, errors: list):
    status, body = client.call(
        "POST", "/v1/payments", {"amount": 1000, "currency": "usd", "payment_method_data": CARD}
    )
    if status != 200:
        errors.append(status)
        return
    payment_method = body["payment_method"]
    capture_method = "automatic" if flow == "auto" else "manual"
    while time.monotonic() < deadline:
        started = time.perf_counter()
        status, body = client.call(
            "POST",
            "/v1/payments",
            {
                "amount": 1000,
                "currency": "usd",
                "payment_method": payment_method,
                "capture_method": capture_method,
            },
        )
        if status == 200 and flow == "manual":
            status, body = client.call("POST", f"/v1/payments/{body['id']}/capture", {})
        if status == 200 and body.get("status") == "captured":
            latencies.append(time.perf_counter() - started)
        else:
            errors.append(status)


def _account_loop(client: Client, deadline: float, latencies: list, errors: list):
    while time.monotonic() < deadline:
        started = time.perf_counter()
        status, _ = client.call("GET", "/v1/account")
        if status == 200:
            latencies.append(time.perf_counter() - started)
        else:
            errors.append(status)


def _insert_loop(client: Client, deadline: float, latencies: list, errors: list):
    while time.monotonic() < deadline:
        started = time.perf_counter()
        status, _ = client.call("POST", "/bench/insert", {"amount": 1000})
        if status == 200:
            latencies.append(time.perf_counter() - started)
        else:
            errors.append(status)


def run(target, clients: int, seconds: float, args: tuple) -> tuple[list, list, float]:
    latencies: list[float] = []
    errors: list[int] = []
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=target, args=(*args[i], deadline, latencies, errors))
               for i in range(clients)]  # fmt: skip
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.monotonic() - started


def report(label: str, unit: str, latencies: list, errors: list, elapsed: float) -> float:
    """Print one line; returns the rate."""
    if not latencies:
        print(f"{label}: no successful {unit}; errors {len(errors)} {sorted(set(errors))}")
        return 0.0
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{label}: {len(latencies) / elapsed:8.1f} {unit}/s  "
          f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms  "
          f"errors {len(errors)}")  # fmt: skip
    return len(latencies) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", required=True, help="a test-mode secret key (sk_test_…)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--flow", choices=["auto", "manual"], default="auto")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="bare insert and payments run one after the other this many times; the "
        "ratio is the median of the rounds' (a shared machine's speed drifts)",
    )
    args = parser.parse_args()

    def clients():
        return [(Client(args.base_url, args.key),) for _ in range(args.clients)]

    print(f"{args.clients} clients, {args.seconds:.0f} s each run, against {args.base_url}")
    report(
        "GET /v1/account (reference)",
        "requests",
        *run(_account_loop, args.clients, args.seconds, clients()),
    )
    with_insert = Client(args.base_url, args.key).call("POST", "/bench/insert", {})[0] == 200
    if not with_insert:
        print("POST /bench/insert: not served (run the server with bench.reference.settings)")
    ratios = []
    for _ in range(args.rounds if with_insert else 1):
        if with_insert:
            insert_rate = report(
                "POST /bench/insert (bare insert)",
                "requests",
                *run(_insert_loop, args.clients, args.seconds, clients()),
            )
        payment_rate = report(
            f"create+capture ({args.flow}, saved card)",
            "payments",
            *run(_payment_loop, args.clients, args.seconds,
                 [(client, args.flow) for (client,) in clients()]),
        )  # fmt: skip
        if with_insert and insert_rate:
            ratios.append(payment_rate / insert_rate)
    if ratios:
        print(f"payments/s over bare inserts/s: {statistics.median(ratios):.2f} "
              f"(median of {', '.join(f'{r:.2f}' for r in ratios)}; goal: 0.50)")  # fmt: skip


if __name__ == "__main__":
    main()
