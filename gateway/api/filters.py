"""List filters shared by every list endpoint."""

from datetime import UTC, datetime

from gateway.api.errors import InvalidRequestError


def _timestamp(raw: str, param: str, *, plus_seconds: int = 0) -> datetime:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise InvalidRequestError(
            f"Invalid {param}: expected Unix seconds.",
            code="parameter_invalid_integer",
            param=param,
        )
    try:
        return datetime.fromtimestamp(int(raw) + plus_seconds, tz=UTC)
    except (ValueError, OverflowError, OSError):  # beyond the years datetime can hold
        raise InvalidRequestError(
            f"Invalid {param}: the timestamp is out of range.",
            code="parameter_invalid_integer",
            param=param,
        ) from None


# An object shows `created: T` for any instant of second T, so the comparisons are of
# whole seconds: `lte=T` takes all of second T, `gt=T` none of it.
_CREATED_BOUNDS = {"gt": ("gte", 1), "gte": ("gte", 0), "lt": ("lt", 0), "lte": ("lt", 1)}


def created_filter(query_params, *, field: str = "created_at") -> dict:
    """`created=T` and `created[gte|gt|lte|lt]=T` (Unix seconds) as ORM lookups."""
    lookups = {}
    if "created" in query_params:
        raw = query_params["created"]
        lookups[f"{field}__gte"] = _timestamp(raw, "created")
        lookups[f"{field}__lt"] = _timestamp(raw, "created", plus_seconds=1)
    for operator, (lookup, plus_seconds) in _CREATED_BOUNDS.items():
        param = f"created[{operator}]"
        if param in query_params:
            bound = _timestamp(query_params[param], param, plus_seconds=plus_seconds)
            key = f"{field}__{lookup}"
            # gt and gte (or lt and lte) together: the narrower bound holds
            narrower = max if lookup == "gte" else min
            lookups[key] = narrower(lookups[key], bound) if key in lookups else bound
    return lookups


PAGINATION = ("limit", "starting_after", "ending_before")
CREATED = ("created", *(f"created[{operator}]" for operator in _CREATED_BOUNDS))


def known_parameters(query_params, *filters: str, paginated: bool = True) -> None:
    """Refuse a query parameter the list (or, not `paginated`, the retrieve) does not
    take, or an empty one, as Stripe does: a mistyped or empty filter would otherwise
    return the whole list as if it were the filtered one."""
    for name in query_params:
        if name not in filters and not (paginated and name in PAGINATION):
            raise InvalidRequestError(
                "Received unknown parameter.", code="parameter_unknown", param=name
            )
        if query_params[name] == "":
            raise InvalidRequestError(
                f"You passed an empty string for '{name}': remove it or give a value.",
                code="parameter_invalid_empty",
                param=name,
            )


def choice_filter(query_params, name: str, choices) -> str | None:
    value = query_params.get(name)
    if value is not None and value not in choices:
        raise InvalidRequestError(
            f"Invalid {name}: must be one of {', '.join(choices)}.",
            code="parameter_invalid",
            param=name,
        )
    return value
