"""Real Celery worker processes for the integration and fault tests.

The worker runs `celery -A gateway worker` against the test database and the test
Redis, with the test process's throwaway secrets, so it sees exactly what the test
commits. The test process then publishes to the broker instead of running tasks
eagerly (`publish_to_broker`).
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from gateway.celery import app

BASE_DIR = Path(settings.BASE_DIR)


def _database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(**overrides: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gateway.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "API_KEY_HASH_SECRET": settings.API_KEY_HASH_SECRET,
        "VAULT_KEYS": settings.VAULT_KEYS,
        "FINGERPRINT_KEY": settings.FINGERPRINT_KEY,
        "WEBHOOK_ALLOW_LOOPBACK": "true",
        "LOG_LEVEL": "WARNING",
    }
    env.update(overrides)
    return env


def purge(queue: str = "webhooks") -> None:
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)


class Worker:
    def __init__(self, *, pool: str, concurrency: int, env: dict, queues: str = "webhooks") -> None:
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open with the process
            prefix="celery-worker-", suffix=".log", delete=False
        )
        self.name = f"test-{uuid.uuid4().hex[:8]}@%h"
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "gateway",
                "--quiet",  # as the Procfile runs it: no plain-text banner
                "worker",
                "--queues",
                queues,
                "--pool",
                pool,
                "--concurrency",
                str(concurrency),
                "--hostname",
                self.name,
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> "Worker":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.output():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"worker did not start:\n{self.output()[-3000:]}")

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self) -> None:
        """SIGKILL the whole worker: no acknowledgement, no cleanup, nothing."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._remove_log()

    def discard(self) -> None:
        """A test's teardown: kill it (whatever it was doing) and remove its log."""
        self.kill()
        self._remove_log()

    def _remove_log(self) -> None:
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


@contextmanager
def publish_to_broker():
    """The test process sends tasks to Redis (as the web process does) instead of
    running them inline."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = eager
