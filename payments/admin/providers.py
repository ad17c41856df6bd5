"""Provider accounts and the provider events they sent, read-only: credentials stay
sealed and are never shown; accounts change through the API's services."""

from django.contrib import admin

from gateway.admin import ReadOnlyAdmin
from payments.models import ProviderAccount, ProviderEvent


@admin.register(ProviderAccount)
class ProviderAccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "merchant", "provider", "livemode", "priority", "status", "created_at"]
    list_filter = ["provider", "livemode", "status"]
    search_fields = ["id", "merchant__id"]
    list_select_related = ["merchant"]
    exclude = ["credentials_ciphertext"]


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = [
        "event_id",
        "provider",
        "type",
        "object_id",
        "status",
        "attempts",
        "received_at",
        "processed_at",
    ]
    list_filter = ["provider", "status", "type"]
    search_fields = ["event_id", "object_id", "provider_account__id"]
