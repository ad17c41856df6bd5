"""The kernel's admin: the audit log, read-only, and the read-only base other apps use."""

from django.contrib import admin

from gateway.audit import AuditLog


class ReadOnly:
    """Rows that change only through the services (or never): staff look, never edit.
    For model admins and inlines alike."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    """Who did what, to which object, and why: every staff action, key and merchant
    change, card detokenization."""

    list_display = ["created_at", "actor", "action", "object_type", "object_id", "reason"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor", "merchant_id", "reason"]
    date_hierarchy = "created_at"
