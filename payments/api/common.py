"""Pieces the payments API modules share: lookups of ids given in a request body, and
(re-exported from the kernel) the list query parameters and the error body."""

from gateway.api.base import ApiViewSet
from gateway.api.common import (  # noqa: F401 - the payments API imports them from here
    ErrorOutputSerializer,
    ListQueryInputSerializer,
    error_responses,
)
from gateway.api.errors import InvalidRequestError, NotFoundError


def referenced(view: ApiViewSet, queryset, pk: str, *, noun: str, param: str):
    """An object named in the request body: the caller's own, or a 400 on `param` that
    reads the same whether the id is missing or belongs to someone else."""
    try:
        return view.owned(queryset, pk, noun=noun)
    except NotFoundError as exc:
        raise InvalidRequestError(exc.message, code="resource_missing", param=param) from None
