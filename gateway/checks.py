"""System checks: settings that parse but cannot work stop `manage.py` (migrate, and
so `make run` and the image's start) with the reason, not a traceback at first use;
`manage.py check --deploy` also warns of settings that work but mislead."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from gateway import metrics
from gateway.crypto import KeyRing


@register()
def vault_keys_check(app_configs, **kwargs) -> list[Error]:
    try:
        KeyRing.from_setting(settings.VAULT_KEYS)
    except ValueError as exc:  # binascii.Error (bad base64) included
        return [
            Error(
                f"VAULT_KEYS cannot be read: {exc}.",
                hint="Give kid:base64key entries of 32-byte keys, the current one first, "
                "separated by commas.",
                id="gateway.E001",
            )
        ]
    return []


@register(deploy=True)
def metrics_folder_check(app_configs, **kwargs) -> list[Warning]:
    if metrics.multiprocess_dir():
        return []
    return [
        Warning(
            "PROMETHEUS_MULTIPROC_DIR is not set: /metrics shows only the counters of the "
            "process that answers the scrape, not those of the other gunicorn workers nor "
            "of the Celery workers (webhook attempts, payments they move on).",
            hint="Point every web and worker process at one writable folder, emptied "
            "when the system starts (as `make run` and the image do).",
            id="gateway.W001",
        )
    ]
