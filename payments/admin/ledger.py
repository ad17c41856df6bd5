"""Ledger and events in the admin: read-only, as the database itself enforces."""

import json

from django.contrib import admin
from django.utils.html import format_html

from gateway.admin import ReadOnlyAdmin
from gateway.events import Event
from gateway.masking import without_client_secrets
from payments.ledger import LedgerEntry, LedgerTransaction


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ["account", "amount_minor", "currency"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "type", "currency", "source_id", "merchant", "livemode", "created_at"]
    list_filter = ["type", "livemode", "currency"]
    search_fields = ["id", "source_id", "merchant__id"]
    list_select_related = ["merchant"]
    inlines = [LedgerEntryInline]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "type",
        "object_id",
        "merchant",
        "livemode",
        "created_at",
        "dispatched_at",
    ]
    list_filter = ["type", "livemode"]
    search_fields = ["id", "object_id", "merchant__id", "request_id"]
    list_select_related = ["merchant"]
    exclude = ["data"]
    readonly_fields = ["data_shown"]

    @admin.display(description="data")
    def data_shown(self, event: Event) -> str:
        return format_html(
            "<pre>{}</pre>",
            json.dumps(without_client_secrets(event.data), indent=2, ensure_ascii=False),
        )
