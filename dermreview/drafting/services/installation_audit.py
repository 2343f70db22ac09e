"""Audit events for changes that affect every clinic of the installation: one event in each clinic's trail."""

from __future__ import annotations

from typing import Any

from django.db import models

from dermreview.accounts.models import Organisation
from dermreview.audit.services.events import audit_log


def audit_every_clinic(*, action: str, actor: Any, obj: models.Model, details: dict[str, Any]) -> None:
    """Write `action` once under each clinic, so that each clinic's auditors see it (once, unscoped, with none)."""
    organisations = list(Organisation.objects.order_by("pk"))
    for organisation in organisations:
        audit_log(action=action, actor=actor, obj=obj, organisation=organisation,
                  details={**details, "clinics": len(organisations)})
    if not organisations:
        audit_log(action=action, actor=actor, obj=obj, details=details)
