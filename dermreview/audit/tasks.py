"""Celery tasks of the audit trail. Thin: call a service."""

from __future__ import annotations

from celery import shared_task

from dermreview.audit.services.anchors import audit_anchor_write


@shared_task(name="dermreview.audit.tasks.audit_anchor", ignore_result=True, soft_time_limit=60, time_limit=90)
def audit_anchor() -> int | None:
    """Periodic (celery beat): write the audit chain's head outside the database."""
    anchor = audit_anchor_write()
    return anchor.sequence if anchor else None
