"""Append-only audit trail of who did what to which object, and why.

Money-moving and key-changing actions write one row in the same transaction as the
change. Rows are never updated or deleted by the application.
"""

from django.contrib.auth.signals import user_login_failed
from django.db import models
from django.dispatch import receiver

from gateway.client_ip import client_ip
from gateway.logging import redact


class AuditLog(models.Model):
    actor = models.CharField(
        max_length=200, help_text="admin:<username>, api:<key prefix>, cli or system"
    )
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64, db_index=True)
    merchant_id = models.CharField(max_length=40, blank=True, db_index=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        app_label = "gateway"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.object_id}"


def audit_record(
    *,
    actor: str,
    action: str,
    obj: models.Model,
    reason: str = "",
    merchant_id: str = "",
    data: dict | None = None,
) -> AuditLog:
    """Write one audit row; call inside the transaction that makes the change."""
    return AuditLog.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        merchant_id=merchant_id,
        reason=reason,
        data=data or {},
    )


@receiver(user_login_failed)
def _staff_login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    """A failed staff login is on file (TESTING T15): the user name tried and from where,
    never the password (nor a card number or key typed as the name)."""
    AuditLog.objects.create(
        actor="anonymous",
        action="staff.login_failed",
        object_type="auth.user",
        object_id=redact(str(credentials.get("username", "")))[:64],
        data={"ip": client_ip(request) if request is not None else ""},
    )
