from dermreview.audit.models.audit_event import AuditEvent, AuditEventQuerySet, HashScheme

__all__ = ["AuditEvent", "AuditEventQuerySet", "HashScheme"]
