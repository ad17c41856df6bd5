"""The kernel's admin: the audit log, read-only, the read-only base other apps use,
and the beat schedule's actions kept to staff who may change it."""

from django.contrib import admin
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import PeriodicTask

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


class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    """django-celery-beat's own admin, but its enable, disable, toggle and run-now actions
    need the change permission: staff who may only view the schedule (support, finance)
    could otherwise stop the resolver or the webhook sweeper from the list page."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            for name in beat_admin.PeriodicTaskAdmin.actions:
                actions.pop(name, None)
        return actions


admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, PeriodicTaskAdmin)
