"""Describes API-key authentication in the OpenAPI document (imported in apps.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "merchants.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A secret key (`sk_test_…`, `sk_live_…`); publishable keys "
            "(`pk_…`) only where an operation says so.",
        }
