from dermreview.audit.models.audit_event import AuditEvent, AuditEventQuerySet

__all__ = ["AuditEvent", "AuditEventQuerySet"]
