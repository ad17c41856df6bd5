"""System checks: settings that parse but cannot work stop `manage.py` (migrate, and
so `make run` and the image's start) with the reason, not a traceback at first use."""

from django.conf import settings
from django.core.checks import Error, register

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
