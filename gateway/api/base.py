"""The base of every /v1/ resource view: input parsing, lookups, pagination.

Views stay thin: parse the body with an input serializer, call one service, render
with an output serializer. Idempotency-Key handling for POST lives here too, so
every POST endpoint gets it by inheriting from ApiViewSet.
"""

from rest_framework import viewsets

from gateway.api.errors import NotFoundError
from gateway.api.pagination import CursorListPagination


class ApiViewSet(viewsets.ViewSet):
    pagination_class = CursorListPagination

    @property
    def merchant(self):
        return self.request.user

    @property
    def livemode(self) -> bool:
        return self.request.auth.livemode

    def parse(self, serializer_class, data=None) -> dict:
        """Validated input; raises the JSON 400 (with `param`) on any problem."""
        serializer = serializer_class(data=self.request.data if data is None else data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def parse_query(self, serializer_class) -> dict:
        return self.parse(serializer_class, data=self.request.query_params.dict())

    def owned(self, queryset, pk: str, *, noun: str):
        """The caller's object in the caller's mode, or the same 404 as a missing id."""
        if "\x00" in pk:  # no id has one, and PostgreSQL refuses it in a query
            obj = None
        else:
            obj = queryset.for_merchant(self.merchant, livemode=self.livemode).filter(pk=pk).first()
        if obj is None:
            raise NotFoundError(f"No such {noun}: '{pk}'", param="id")
        return obj

    def paginated_response(self, queryset, serializer_class, context: dict | None = None):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        data = serializer_class(page, many=True, context=context or {}).data
        return paginator.get_paginated_response(data)
