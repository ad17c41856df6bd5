"""Fixtures of the gateway's tests that run the production server."""

import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest

from gateway.tests.worker import BASE_DIR, worker_env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn_serving(*, stderr=subprocess.DEVNULL, **env: str):
    """gunicorn on the test database, started from the project's folder as the
    Procfile starts it, as `host, port` once it accepts connections."""
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "gunicorn", "gateway.wsgi", "--bind", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env=worker_env(**env),
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.1)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def gunicorn():
    with gunicorn_serving() as address:
        yield address
