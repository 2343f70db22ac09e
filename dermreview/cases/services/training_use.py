"""The patient's choice about the use of a case for model training (`Case.training_opt_out`).

Consent is not clinical context. The case's details are fixed once a finding is signed against them
(`case.SIGNED_STATUSES`, `Review.signed_context`), but a patient may withdraw from (or agree again to) the use of
their data for training at any time, so this choice stays changeable in every status and is never part of what a
finding is signed against. `manage.py training_export` leaves opted-out cases out and counts them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from dermreview.accounts.roles import Role, require_role
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Case

# Who may record the patient's choice: the clinicians who see the patient, and the clinic's administrators.
TRAINING_USE_ROLES = (Role.CLINICIAN, Role.CLINIC_ADMIN)


@transaction.atomic
def case_training_opt_out_set(*, case: Case, user: Any, opt_out: bool) -> Case:
    """Record whether the patient opted out of the use of `case` for model training.

    Clinicians and the clinic's administrators, in the case's own organisation (the caller found the case through
    `get_case_for_user`, so an outsider never gets here; the organisation is checked again all the same). Allowed
    after sign-off, unlike `case_update`. The case row is locked so two changes are recorded one after the other;
    the audit event carries the old and new values, and an unchanged value writes nothing. The lock version is not
    bumped: this is not a review write and must not make a reviewer's open form stale.
    """
    require_role(user, *TRAINING_USE_ROLES)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.organisation_id != getattr(user, "organisation_id", None):
        raise PermissionDenied("This case belongs to another organisation.")
    old = locked.training_opt_out
    if old == opt_out:
        case.training_opt_out = old
        return case
    locked.training_opt_out = opt_out
    locked.save(update_fields=["training_opt_out", "updated_at"])
    case.training_opt_out, case.updated_at = opt_out, locked.updated_at
    audit_log(action="case.training_opt_out", actor=user, obj=locked, details={
        "fields": ["training_opt_out"], "changes": {"training_opt_out": [old, opt_out]},
    })
    return case
