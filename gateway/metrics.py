"""Prometheus metrics at /metrics: django-prometheus's request metrics, the apps' own
counters, and the lag of the work queues, read from the database at scrape time.

Counters live in the process that counts. Where several processes serve one system
(gunicorn workers, Celery workers), `PROMETHEUS_MULTIPROC_DIR` names a folder they all
write to and the scrape adds them up (prometheus_client's multiprocess mode). Processes
of different hosts or containers may share that folder: each file is named after the
host as well as the process id, which on its own repeats from one container to the next.

Queue lag is not counted anywhere: an app registers, for each queue it owns, a function
giving the moment its oldest due item became due (or None), and the scrape reports how
long that item has waited. The database is the queue's truth, so every process sees the
same figure, including for work that no process has touched yet.
"""

import logging
import os
import socket
from collections.abc import Callable, Iterator
from datetime import datetime

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

# queue name -> when its oldest due item became due (None: nothing waiting)
_queues: dict[str, Callable[[datetime], datetime | None]] = {}


def queue_register(name: str, oldest_due: Callable[[datetime], datetime | None]) -> None:
    """Report `name`'s lag: `oldest_due(now)` is when its oldest due item became due."""
    _queues[name] = oldest_due


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def _process_identifier() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def name_files_per_host() -> None:
    """In multiprocess mode, name each process's files after its host and pid.

    Call before the first metric value exists (the gateway app's ready()).
    """
    if multiprocess_dir():
        values.ValueClass = values.MultiProcessValue(process_identifier=_process_identifier)


def _queue_lag() -> GaugeMetricFamily:
    """`gateway_queue_lag_seconds{queue}`: how long the oldest due item has waited."""
    family = GaugeMetricFamily(
        "gateway_queue_lag_seconds",
        "How long the oldest item due in each work queue has been waiting (0: none).",
        labels=["queue"],
    )
    now = timezone.now()
    for name, oldest_due in sorted(_queues.items()):
        try:
            due = oldest_due(now)
        except DatabaseError:
            logger.warning("Queue lag of %s unavailable: the database did not answer", name)
            continue
        family.add_metric([name], max(0.0, (now - due).total_seconds()) if due else 0.0)
    return family


class _Scrape:
    """What one scrape reports: the counters, then the queue lag."""

    def __init__(self, counters) -> None:
        self.counters = counters

    def collect(self) -> Iterator:
        yield from self.counters.collect()
        yield _queue_lag()


def _counters():
    path = multiprocess_dir()
    if not path:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    return registry


def metrics_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generate_latest(_Scrape(_counters())), content_type=CONTENT_TYPE_LATEST)
