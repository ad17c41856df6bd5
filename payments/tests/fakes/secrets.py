"""Secrets made up at run time for the tests' provider accounts, remembered so that the
suite-wide log scan (T20) can prove none of them was ever logged."""

import secrets

RUNTIME_SECRETS: set[str] = set()


def register_secret(value: str) -> str:
    RUNTIME_SECRETS.add(value)
    return value


def new_secret(prefix: str = "") -> str:
    return register_secret(prefix + secrets.token_hex(16))
