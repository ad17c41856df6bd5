"""The base of every /v1/ resource view: input parsing, lookups, pagination.

Views stay thin: parse the body with an input serializer, call one service, render
with an output serializer. Idempotency-Key handling for POST lives here too, so
every POST endpoint gets it by inheriting from ApiViewSet: the key is claimed after
authentication, a repeat is answered from the stored response, and the rendered
response is stored (or the claim given up) before it leaves.
"""

import logging

from django.db import DatabaseError
from django.http import HttpResponse
from rest_framework import viewsets

from gateway import idempotency
from gateway.api.errors import InvalidRequestError, NotFoundError
from gateway.api.filters import known_parameters
from gateway.api.pagination import CursorListPagination, limit_param

logger = logging.getLogger(__name__)


class ApiViewSet(viewsets.ViewSet):
    pagination_class = CursorListPagination
    idempotency_key_header: str | None = None  # the caller's key, echoed on the response
    retrieve_parameters: tuple[str, ...] = ()  # the query parameters a retrieve takes

    @property
    def merchant(self):
        return self.request.user

    @property
    def livemode(self) -> bool:
        return self.request.auth.livemode

    @property
    def actor(self) -> str:
        """Who acts, in audit rows: the key by its public prefix."""
        return f"api:{self.request.auth.prefix}"

    # --- idempotency (SPEC §4) -------------------------------------------------------

    def initial(self, request, *args, **kwargs) -> None:
        """After authentication, permissions and throttling: claim the Idempotency-Key.

        Views read the claimed row as `request.idempotency_key` (None without the
        header) to link what they create to it and to resume after a crash.
        """
        request.idempotency_key = None
        super().initial(request, *args, **kwargs)
        # PostgreSQL cannot hold NUL in text, so a filter or cursor containing one would
        # fail inside the database query (a 500) rather than simply match nothing.
        query_values = (value for _, values in request.query_params.lists() for value in values)
        if "\x00" in request.path or any("\x00" in value for value in query_values):
            raise InvalidRequestError("The URL contains a NUL character.", code="parameter_invalid")
        if request.method in ("POST", "DELETE") and request.query_params:
            # Parameters go in the JSON body: one left in the URL would otherwise be
            # ignored, and `/capture?amount=300` would capture the whole amount.
            raise InvalidRequestError(
                "Received unknown parameter: send parameters in the JSON body.",
                code="parameter_unknown",
                param=next(iter(request.query_params)),
            )
        if self.action == "retrieve":  # as Stripe: it takes none but those named
            known_parameters(request.query_params, *self.retrieve_parameters, paginated=False)
        if request.method != "POST":
            return
        key = idempotency.idempotency_key_parse(request.META.get("HTTP_IDEMPOTENCY_KEY"))
        if key is None:
            return
        idempotency.idempotency_key_var.set(key)
        self.idempotency_key_header = key
        request.idempotency_key = idempotency.idempotency_claim(
            merchant=self.merchant,
            livemode=self.livemode,
            publishable=not request.auth.is_secret,
            key=key,
            method=request.method,
            path=request.get_full_path(),
            body=request.body,
        )

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.IdempotentReplay):
            response = HttpResponse(exc.body, status=exc.status, content_type="application/json")
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        claim = getattr(request, "idempotency_key", None)
        if claim is not None:
            self._settle_idempotency_key(claim, response)
        if self.idempotency_key_header is not None:
            response[idempotency.HEADER] = self.idempotency_key_header
        return response

    def _settle_idempotency_key(self, claim, response) -> None:
        try:
            if hasattr(response, "render"):
                response.render()  # the exact bytes the caller gets, stored for replays
        except Exception:
            idempotency.idempotency_release(claim=claim)
            raise
        try:
            idempotency.idempotency_finish(
                claim=claim,
                status=response.status_code,
                body=response.content,
                final=200 <= response.status_code < 300 or getattr(response, "is_outcome", False),
            )
        except DatabaseError:
            # The caller still gets the real answer; the claim stays locked until
            # IDEMPOTENCY_LOCK_TIMEOUT, after which a retry resumes the request.
            logger.exception("Could not settle idempotency key %s", claim.pk)

    # --- helpers for views -----------------------------------------------------------

    def parse(self, serializer_class, data=None) -> dict:
        """Validated input; raises the JSON 400 (with `param`) on any problem."""
        serializer = serializer_class(data=self.request.data if data is None else data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def parse_query(self, serializer_class) -> dict:
        """Validated query parameters. Unknown and empty ones, and a bad `limit`, get
        the answers of every other list (`known_parameters`, `limit_param`)."""
        params = self.request.query_params
        known_parameters(params, *serializer_class().fields)
        limit_param(self.request)
        return self.parse(serializer_class, data=params.dict())

    def owned(self, queryset, pk: str, *, noun: str):
        """The caller's object in the caller's mode, or the same 404 as a missing id."""
        if "\x00" not in pk:  # no id has one, and PostgreSQL refuses it in a query
            try:
                return queryset.get(merchant=self.merchant, livemode=self.livemode, pk=pk)
            except queryset.model.DoesNotExist:
                pass
        raise NotFoundError(f"No such {noun}: '{pk}'", param="id")

    def paginated_response(self, queryset, serializer_class, context: dict | None = None):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        data = serializer_class(page, many=True, context=context or {}).data
        return paginator.get_paginated_response(data)
