"""How personal data is shown to staff: enough to recognise, never in full."""


def mask_email(email: str) -> str:
    """`jane@example.com` -> `j***@example.com` (empty stays empty)."""
    local, at, domain = email.partition("@")
    return f"{local[:1]}***{at}{domain}" if email else ""
