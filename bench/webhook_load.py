#!/usr/bin/env python3
"""Webhook delivery benchmark: deliveries/s per worker process and delay to receipt.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gateway_bench \
    REDIS_URL=redis://127.0.0.1:6379/5 \
    .venv/bin/python bench/webhook_load.py --events 2000 [--delay 0.2] [--endpoints 1]

It migrates the database it is given (use a scratch one), starts a local receiver
(its own process, answering 200 at once or after `--delay` seconds), one Celery
worker process on the `webhooks` queue (`--pool threads --concurrency 32` by default,
as in the Procfile) and then, in the same run:

1. the floor: a bare Celery task that signs and POSTs the same body to the receiver,
   no database (`--events` of them, enqueued at once);
2. the gateway: `--events` events committed through the outbox (`event_emit`), fanned
   out to `--endpoints` endpoints of one merchant and delivered with everything the
   product does (lease, SSRF check, signature, attempt log).

Both report deliveries/s (first enqueue to last receipt) and p50/p99 delay from
creation to receipt. `--paced` then repeats the gateway run at half its measured rate,
where the delay shows latency rather than the backlog.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway.settings.dev")
os.environ.setdefault("WEBHOOK_ALLOW_LOOPBACK", "true")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"

from gateway.celery import app  # noqa: E402

FLOOR_TASK = "bench.floor_post"


@app.task(name=FLOOR_TASK, ignore_result=True)
def floor_post(url: str, body: str, secret: str, msg_id: str) -> int:
    """The floor: a Celery task that signs and POSTs a body, touching no database."""
    import http.client
    import urllib.parse

    from webhooks import signing

    data = body.encode()
    headers = signing.headers([secret], msg_id=msg_id, timestamp=int(time.time()), body=data)
    headers["Content-Type"] = "application/json"
    target = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=15)
    try:
        connection.request("POST", target.path, body=data, headers=headers)
        response = connection.getresponse()
        response.read(1024)
        return response.status
    finally:
        connection.close()


def receiver_main(port_file: str, log_file: str, delay: float) -> None:
    """Answers every POST with 200 (after `delay`), logging `webhook-id time`."""
    log = open(log_file, "a", buffering=1)  # noqa: SIM115

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received = time.time()
            if delay:
                time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            log.write(f"{self.headers.get('webhook-id')} {self.path} {received}\n")

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024

    server = Server(("127.0.0.1", 0), Handler)
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


def _read_log(path: str) -> dict[tuple[str, str], float]:
    """(webhook-id, endpoint path) -> first receipt; a redelivery does not count twice."""
    received = {}
    for line in Path(path).read_text().splitlines():
        msg_id, endpoint, at = line.split(" ")
        received.setdefault((msg_id, endpoint), float(at))
    return received


def _wait_for(path: str, ids: set, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        received = _read_log(path)
        if ids <= received.keys():
            return received
        time.sleep(0.2)
    received = _read_log(path)
    print(f"  timed out: {len(ids - received.keys())} of {len(ids)} never arrived")
    return received


def _report(label: str, created: dict, received: dict) -> float:
    ids = [i for i in created if i in received]
    if not ids:
        print(f"{label}: nothing arrived")
        return 0.0
    delays = sorted(received[i] - created[i] for i in ids)
    elapsed = max(received[i] for i in ids) - min(created.values())
    rate = len(ids) / elapsed
    p99 = delays[max(0, int(len(delays) * 0.99) - 1)]
    print(
        f"{label}: {len(ids)} deliveries in {elapsed:.2f} s = {rate:.0f}/s per worker process; "
        f"delay creation->receipt p50 {statistics.median(delays) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms"
    )
    return rate


def _start_worker(pool: str, concurrency: int) -> subprocess.Popen:
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "gateway",
            "--quiet",
            "worker",
            "--queues",
            "webhooks",
            "--pool",
            pool,
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "WARNING",
            "--include",
            "bench.webhook_load",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"bench-{os.getpid()}@%h",
        ],
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,
    )
    time.sleep(4)
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--endpoints", type=int, default=1)
    parser.add_argument("--delay", type=float, default=0.0, help="receiver answers after this")
    parser.add_argument("--pool", default="threads")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--paced", action="store_true", help="also run at half the rate")
    parser.add_argument("--skip-floor", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction

    from gateway.events import event_emit
    from merchants.services import merchant_create
    from webhooks.services import webhook_endpoint_create

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        sys.exit("set REDIS_URL: the benchmark measures workers on the Redis broker")
    call_command("migrate", verbosity=0)
    workdir = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    port_file, log_file = str(workdir / "port"), str(workdir / "received.log")
    Path(log_file).touch()
    receiver = subprocess.Popen(  # noqa: S603
        [sys.executable, __file__, "--receiver", port_file, log_file, str(args.delay)],
        start_new_session=True,
    )
    while not Path(port_file).exists() or not Path(port_file).read_text():
        time.sleep(0.05)
    port = int(Path(port_file).read_text())
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("webhooks")
    worker = _start_worker(args.pool, args.concurrency)
    timeout = max(120.0, args.events * (args.delay + 0.01))
    print(
        f"{args.events} events, {args.endpoints} endpoint(s), "
        f"receiver delay {args.delay * 1000:.0f} ms, one worker: "
        f"--pool {args.pool} --concurrency {args.concurrency}, "
        f"cap {settings.WEBHOOK_ENDPOINT_CONCURRENCY} per endpoint"
    )
    try:
        merchant, _ = merchant_create(name="Bench", email="bench@example.test", actor="bench")
        paths = [f"/e{i}" for i in range(args.endpoints)]
        issued = [
            webhook_endpoint_create(
                merchant=merchant,
                livemode=False,
                url=f"http://127.0.0.1:{port}{paths[i]}",
                enabled_events=["*"],
                description="bench",
                actor="bench",
            )
            for i in range(args.endpoints)
        ]
        body = json.dumps(
            {"id": "evt_x", "type": "payment.captured", "created": 0, "livemode": False,
             "data": {"object": {"id": "pay_bench", "object": "payment", "amount": 1000}}}
        )  # fmt: skip

        if not args.skip_floor:
            created = {}
            for i in range(args.events * args.endpoints):
                msg_id = f"floor_{i}"
                created[(msg_id, "/floor")] = time.time()  # rates count from the first enqueue
                app.send_task(
                    FLOOR_TASK,
                    args=(f"http://127.0.0.1:{port}/floor", body, issued[0].secret, msg_id),
                    queue="webhooks",
                )
            received = _wait_for(log_file, set(created), timeout)
            floor = _report("floor (bare Celery task, no database)", created, received)

        def emit(i: int):
            return event_emit(
                type="payment.captured",
                snapshot={"id": f"pay_bench{i}", "object": "payment", "amount": 1000},
                merchant_id=merchant.id,
                livemode=False,
            )

        def burst() -> tuple[dict, dict]:
            """All events committed at once (their outbox messages leave on commit),
            like the floor's tasks: measures how fast one worker drains them."""
            with transaction.atomic():
                ids = [emit(i).id for i in range(args.events)]
                committing = time.time()  # the messages leave from here on, in order
            created = {(i, path): committing for i in ids for path in paths}
            return created, _wait_for(log_file, set(created), timeout)

        def paced(rate: float) -> tuple[dict, dict]:
            """One event per transaction at a steady rate: the delay is latency."""
            created = {}
            started = time.monotonic()
            for i in range(args.events):
                with transaction.atomic():
                    event = emit(i)
                created.update({(event.id, path): time.time() for path in paths})
                time.sleep(max(0.0, started + (i + 1) / rate - time.monotonic()))
            return created, _wait_for(log_file, set(created), timeout)

        created, received = burst()
        rate = _report(f"gateway, {args.endpoints} endpoint(s)", created, received)
        if not args.skip_floor and floor:
            print(f"  ratio to the floor: {rate / floor:.2f}")
        if args.paced and rate:
            events_rate = rate / args.endpoints / 2
            created, received = paced(events_rate)
            label = f"gateway paced (aiming at {events_rate:.0f} events/s; rate = what was sent)"
            _report(label, created, received)
    finally:
        for process in (worker, receiver):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--receiver":
        receiver_main(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        main()
