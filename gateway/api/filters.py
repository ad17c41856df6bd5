"""List filters shared by every list endpoint."""

from datetime import UTC, datetime

from gateway.api.errors import InvalidRequestError

_CREATED_OPERATORS = ("gt", "gte", "lt", "lte")


def _timestamp(raw: str, param: str) -> datetime:
    if not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 12:
        raise InvalidRequestError(f"Invalid {param}: expected Unix seconds.", param=param)
    try:
        return datetime.fromtimestamp(int(raw), tz=UTC)
    except (ValueError, OverflowError, OSError):  # beyond the years datetime can hold
        raise InvalidRequestError(
            f"Invalid {param}: the timestamp is out of range.", param=param
        ) from None


def created_filter(query_params, *, field: str = "created_at") -> dict:
    """`created=T` and `created[gte|gt|lte|lt]=T` (Unix seconds) as ORM lookups."""
    lookups = {}
    if "created" in query_params:
        lookups[f"{field}__gte"] = start = _timestamp(query_params["created"], "created")
        lookups[f"{field}__lt"] = datetime.fromtimestamp(start.timestamp() + 1, tz=UTC)
    for operator in _CREATED_OPERATORS:
        param = f"created[{operator}]"
        if param in query_params:
            lookups[f"{field}__{operator}"] = _timestamp(query_params[param], param)
    return lookups


def choice_filter(query_params, name: str, choices) -> str | None:
    value = query_params.get(name)
    if value is not None and value not in choices:
        raise InvalidRequestError(
            f"Invalid {name}: must be one of {', '.join(choices)}.", param=name
        )
    return value
