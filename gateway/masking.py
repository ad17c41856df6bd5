"""How personal data and secrets are shown to staff: enough to recognise, never in full."""

import re

HIDDEN = "•••"
_CLIENT_SECRET_PARAMETER = re.compile(r"(client_secret=)[^&#\s\"']+")


def mask_email(email: str) -> str:
    """`jane@example.com` -> `j***@example.com` (empty stays empty)."""
    local, at, domain = email.partition("@")
    return f"{local[:1]}***{at}{domain}" if email else ""


def without_client_secrets(value):
    """A JSON-like value with its payments' client secrets hidden, as `client_secret`
    keys and as `client_secret=` in URLs (a challenge page's): with one, anyone could
    answer the cardholder's 3-D Secure challenge."""
    if isinstance(value, dict):
        return {
            key: HIDDEN if key == "client_secret" and item else without_client_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [without_client_secrets(item) for item in value]
    if isinstance(value, str):
        return _CLIENT_SECRET_PARAMETER.sub(rf"\g<1>{HIDDEN}", value)
    return value
