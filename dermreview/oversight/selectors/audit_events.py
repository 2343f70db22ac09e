"""The audit browser's search: which of an organisation's audit events match the filters. Reads only.

The audited actions on those events (CSV export, chain verification) are services in
`oversight/services/audit_browser.py`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from dermreview.audit.models import AuditEvent


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    case_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    def as_details(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v not in ("", None)}


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events_for(*, organisation_id: int, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The organisation's audit events matching the filters, newest first."""
    qs = AuditEvent.objects.for_organisation(organisation_id)
    if filters.actor:
        qs = qs.filter(actor_username__icontains=filters.actor)
    if filters.action:
        # A prefix, so "oversight." finds every oversight action.
        qs = qs.filter(action__startswith=filters.action)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.case_id is not None:
        qs = qs.for_case(filters.case_id)
    if filters.date_from:
        qs = qs.filter(created_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_start_of(filters.date_to + timedelta(days=1)))
    return qs.order_by("-sequence")


def audit_action_choices(*, organisation_id: int) -> list[str]:
    return sorted(
        AuditEvent.objects.for_organisation(organisation_id).order_by().values_list("action", flat=True).distinct()
    )
