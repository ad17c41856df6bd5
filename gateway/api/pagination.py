"""Stripe-style cursor pagination: newest first, `limit`, `starting_after`, `ending_before`.

Ids are time-sortable, so the cursor is simply the id: `starting_after=X` returns the
objects older than X, `ending_before=X` those newer than X. Each page costs one query
(`limit + 1` rows tell `has_more` without a COUNT), and one more to check its cursor.
"""

from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from gateway.api.errors import InvalidRequestError
from gateway.ids import has_prefix

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


def limit_param(request) -> int:
    """The `limit` asked for, or the default; a 400 `parameter_invalid_integer` for
    anything but an integer from 1 to MAX_LIMIT."""
    raw = request.query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit() or not MAX_LIMIT >= int(raw) >= 1:
        raise InvalidRequestError(
            f"Invalid limit: must be an integer between 1 and {MAX_LIMIT}.",
            code="parameter_invalid_integer",
            param="limit",
        )
    return int(raw)


def _check_cursor(queryset, cursor: str, view, param: str) -> None:
    """As Stripe answers: a cursor that is none of the caller's objects of this kind is
    an error, not the first page again (a client paging with a mistyped id would loop).
    Checked against everything of the caller's mode, not the filtered list: an object
    that stopped matching a filter between two pages is still a place to resume."""
    prefix = getattr(queryset.model._meta.pk, "prefix", None)
    if (prefix is None or has_prefix(cursor, prefix)) and queryset.model._default_manager.filter(
        pk=cursor, merchant=view.merchant, livemode=view.livemode
    ).exists():
        return
    raise InvalidRequestError(
        f"No such object for {param}: '{cursor}'", code="resource_missing", param=param
    )


class CursorListPagination(BasePagination):
    def paginate_queryset(self, queryset, request, view=None):
        limit = limit_param(request)
        after = request.query_params.get("starting_after")
        before = request.query_params.get("ending_before")
        if after and before:
            raise InvalidRequestError(
                "You may only specify one of these parameters: starting_after, ending_before.",
                code="parameters_exclusive",
                param="ending_before",
            )
        if after or before:
            _check_cursor(
                queryset, after or before, view, "ending_before" if before else "starting_after"
            )
        if before:
            rows = list(queryset.filter(pk__gt=before).order_by("pk")[: limit + 1])
            self.has_more = len(rows) > limit
            page = rows[:limit][::-1]
        else:
            if after:
                queryset = queryset.filter(pk__lt=after)
            rows = list(queryset.order_by("-pk")[: limit + 1])
            self.has_more = len(rows) > limit
            page = rows[:limit]
        self.url = request.path
        return page

    def get_paginated_response(self, data):
        return Response(
            {"object": "list", "data": data, "has_more": self.has_more, "url": self.url}
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["object", "data", "has_more", "url"],
            "properties": {
                "object": {"type": "string", "enum": ["list"]},
                "data": schema,
                "has_more": {"type": "boolean"},
                "url": {"type": "string"},
            },
        }

    def get_schema_operation_parameters(self, view):
        def param(name, schema, description):
            return {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": schema,
            }

        return [
            param(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                "How many objects to return, 1 to 100 (default 10).",
            ),
            param(
                "starting_after",
                {"type": "string"},
                "An object id: return the objects created before it.",
            ),
            param(
                "ending_before",
                {"type": "string"},
                "An object id: return the objects created after it.",
            ),
        ]
