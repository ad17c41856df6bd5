"""Models of the shared kernel (each lives in its own module)."""

from gateway.audit import AuditLog

__all__ = ["AuditLog"]
