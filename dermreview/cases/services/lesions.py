"""Patients and lesions behind a case: a case is one visit of one lesion of one patient.

A case is opened either for a known lesion (a follow-up visit: `lesion` given) or with a patient reference, body
site and label, which resolve to the clinic's patient of that reference and its lesion of that site and label,
created when new. The same rule links the cases that existed before lesions did (`cases/migrations/0009`).
"""

from __future__ import annotations

from typing import Any

from dermreview.cases.models import Case, Laterality, Lesion, Patient


def patient_resolve(*, organisation_id: int, reference: str, user: Any | None = None) -> Patient:
    """The clinic's patient with this pseudonymous reference, created on first use."""
    patient, created = Patient.objects.get_or_create(
        organisation_id=organisation_id, reference=reference, defaults={"created_by": user},
    )
    if created:
        patient.full_clean()
    return patient


def lesion_resolve(
    *, patient: Patient, body_site: str, label: str, user: Any | None = None, laterality: str = "",
) -> Lesion:
    """The patient's lesion at this body site with this label (the oldest, if several), created when new."""
    lesion = Lesion.objects.filter(patient=patient, body_site=body_site, label=label).order_by("pk").first()
    if lesion is not None:
        return lesion
    lesion = Lesion(
        patient=patient, body_site=body_site, label=label, created_by=user,
        laterality=laterality or Laterality.UNKNOWN,
    )
    lesion.full_clean()
    lesion.save()
    return lesion


def case_link_lesion(case: Case, *, user: Any | None = None, laterality: str = "") -> None:
    """Point `case.patient` and `case.lesion` at the rows its reference, site and label name (not saved)."""
    patient = patient_resolve(organisation_id=case.organisation_id, reference=case.patient_ref, user=user)
    case.patient = patient
    case.lesion = lesion_resolve(
        patient=patient, body_site=case.body_site, label=case.lesion_label, user=user, laterality=laterality,
    )
