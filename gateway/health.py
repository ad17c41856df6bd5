"""Liveness and readiness probes for load balancers and orchestrators."""

import logging
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from gateway import crypto
from gateway.api.views import require_methods
from gateway.celery import app as celery_app

logger = logging.getLogger(__name__)


@require_methods("GET", "HEAD")
def healthz(request):
    """The process is alive and serving requests."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        logger.warning("Readiness: database unreachable", exc_info=True)
        return False


def _broker_ok() -> bool:
    broker_url = settings.CELERY_BROKER_URL
    if broker_url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        return folder.is_dir()
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.warning("Readiness: broker unreachable", exc_info=True)
        return False


def _vault_ok() -> bool:
    """VAULT_KEYS can be read as a key ring: a process started without Django's checks
    (gunicorn, celery) would otherwise be ready, and fail every request that touches
    a card."""
    try:
        crypto.keyring()
        return True
    except ValueError:
        logger.error("Readiness: VAULT_KEYS cannot be read (see manage.py check)")
        return False


@require_methods("GET", "HEAD")
def readyz(request):
    """The database and the broker answer, the vault's keys are readable; 503 names
    whichever is not."""
    checks = {"database": _database_ok(), "broker": _broker_ok(), "vault": _vault_ok()}
    ready = all(checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    return JsonResponse(body, status=200 if ready else 503)
