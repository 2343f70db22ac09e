"""A clinic's own diagnosis classes: what its administrator may add to the shared vocabulary."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from dermreview.accounts.roles import is_clinic_admin
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import DiagnosisClass

_AUDITED = ("code", "name", "synonyms", "abbreviations", "high_risk", "active", "ordering")


def diagnosis_class_save(*, user: Any, diagnosis_class: DiagnosisClass) -> DiagnosisClass:
    """Add or change one of the user's clinic's own diagnosis classes.

    Clinic administrators only, and only in their own organisation: the class is stored under it whatever it
    held. The shared classes (no organisation) change only by migration, so a clinic can neither edit nor shadow
    them (`DiagnosisClass.clean` refuses a name a shared class already has). Classes are never deleted (signed
    findings keep theirs): set `active` off to stop offering and matching one. Raises PermissionDenied or
    ValidationError. Audited: `diagnosis_class.create` / `diagnosis_class.update` with the values written.
    """
    if not is_clinic_admin(user):
        raise PermissionDenied("Only a clinic administrator manages the clinic's diagnosis classes.")
    if diagnosis_class.pk is not None:
        stored = DiagnosisClass.objects.filter(pk=diagnosis_class.pk).values_list("organisation_id", flat=True).first()
        if stored != user.organisation_id:
            raise PermissionDenied("Only your clinic's own diagnosis classes can be changed here.")
    created = diagnosis_class.pk is None
    diagnosis_class.organisation_id = user.organisation_id
    diagnosis_class.full_clean()
    with transaction.atomic():
        diagnosis_class.save()
        audit_log(action="diagnosis_class.create" if created else "diagnosis_class.update", actor=user,
                  obj=diagnosis_class, details={name: getattr(diagnosis_class, name) for name in _AUDITED})
    return diagnosis_class
