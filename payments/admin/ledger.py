"""Ledger and events in the admin: read-only, as the database itself enforces."""

from django.contrib import admin

from gateway.admin import ReadOnlyAdmin
from gateway.events import Event
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
