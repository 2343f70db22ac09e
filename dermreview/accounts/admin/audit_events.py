"""The audit trail in the admin, read-only, each reader seeing only their share of it.

- An auditor (who is also admin staff) reads every event of their own organisation.
- A clinic administrator reads their organisation's configuration events: admin changes, log-ins, API tokens, the
  drafting switches.
- An operator reads configuration events of every organisation and of none, and never an event about a case:
  those carry patient data (what a reviewer entered, which photo was opened).
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from dermreview.accounts.admin.scoping import OrganisationScopedAdmin
from dermreview.accounts.roles import Role, can_audit, is_clinic_admin, is_operator
from dermreview.audit.admin import AuditEventAdminBase
from dermreview.audit.models import AuditEvent

# Actions that record configuration, not clinical work (see dermreview/audit/services/events.py callers).
CONFIGURATION_ACTION_PREFIXES = ("admin.", "auth.", "api.token.", "drafting.")


def configuration_events() -> Q:
    """Events about configuration: one of the prefixes above, and no case."""
    prefixes = reduce(or_, (Q(action__startswith=prefix) for prefix in CONFIGURATION_ACTION_PREFIXES))
    return prefixes & Q(case_id__isnull=True)


@admin.register(AuditEvent)
class AuditEventAdmin(OrganisationScopedAdmin, AuditEventAdminBase):
    organisation_roles = frozenset({Role.AUDITOR, Role.CLINIC_ADMIN})
    operator_sees_all = True  # of configuration events only: see scope_queryset

    def scope_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        user = request.user
        visible = Q(pk__in=[])
        if is_operator(user):
            visible |= configuration_events()
        if user.organisation_id is not None:
            own = Q(organisation_id=user.organisation_id)
            if can_audit(user):
                visible |= own
            elif is_clinic_admin(user):
                visible |= own & configuration_events()
        return queryset.filter(visible)
