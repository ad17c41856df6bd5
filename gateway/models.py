"""Models of the shared kernel (each lives in its own module)."""

from gateway.audit import AuditLog
from gateway.events import Event
from gateway.idempotency import IdempotencyKey

__all__ = ["AuditLog", "Event", "IdempotencyKey"]
