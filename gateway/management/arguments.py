"""Argument types the management commands share."""

import argparse


def integer_at_least(minimum: int):
    """An argparse type: an integer of `minimum` or more (a bad one is a usage error,
    not a traceback nor a silent no-op)."""

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{raw!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {value}")
        return value

    return parse
