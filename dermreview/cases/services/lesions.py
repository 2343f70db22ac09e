"""Patients and lesions behind a case: a case is one visit of one lesion of one patient.

A case is opened either for a known lesion (a follow-up visit: `lesion` given) or with a patient reference, body
site and label, which resolve to the clinic's patient of that reference and its lesion of that site and label,
created when new. The same rule links the cases that existed before lesions did (`cases/migrations/0009`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from dermreview.accounts.roles import Role, require_role
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import BodySite, Case, Laterality, Lesion, Patient
from dermreview.common.text import TextRefused, normalise_text

LESION_EDITABLE_FIELDS = ("body_site", "laterality", "label")


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
    """The patient's lesion at this body site with this label (the oldest, if several), created when new.

    A known side (left, right, midline) is part of what names the lesion: a mole on the right forearm is never a
    visit of the one on the left forearm, even when both are unlabelled. Without one, any side matches.
    """
    same = Lesion.objects.filter(patient=patient, body_site=body_site, label=label)
    if laterality and laterality != Laterality.UNKNOWN:
        same = same.filter(laterality=laterality)
    lesion = same.order_by("pk").first()
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


def _clean_text(value: Any, *, field: str) -> str:
    try:
        return normalise_text(str(value or ""), field=field, multiline=False).strip()
    except TextRefused as exc:
        raise ValidationError({field: exc.message}) from None


@transaction.atomic
def patient_create(
    *, user: Any, reference: str, birth_year: int | None = None, sex: str = "", fitzpatrick_type: str = "",
) -> Patient:
    """Register a patient of the user's clinic by pseudonymous reference (never a name). Clinicians only.

    A reference the clinic already uses is refused on `reference` (ValidationError), naming the existing patient,
    rather than creating a second record of one person; cases opened with that reference find the same row.
    """
    require_role(user, Role.CLINICIAN)
    reference = _clean_text(reference, field="reference")
    if birth_year is not None and not 1900 <= int(birth_year) <= date.today().year:
        raise ValidationError({"birth_year": f"The year of birth must be between 1900 and {date.today().year}."})
    patient = Patient(organisation_id=user.organisation_id, reference=reference, birth_year=birth_year,
                      sex=sex or "", fitzpatrick_type=fitzpatrick_type or "", created_by=user)
    existing = Patient.objects.filter(organisation_id=user.organisation_id, reference=reference).first()
    if existing is not None:
        raise ValidationError({"reference": f"Your clinic already has a patient with this reference "
                                            f"(patient {existing.pk}); use that record."})
    patient.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError:  # a concurrent request registered the same reference first
        raise ValidationError({"reference": "Your clinic already has a patient with this reference."}) from None
    audit_log(action="patient.create", actor=user, obj=patient, organisation=user.organisation, details={
        "reference": reference, "birth_year": birth_year, "sex": patient.sex,
        "fitzpatrick_type": patient.fitzpatrick_type,
    })
    return patient


@transaction.atomic
def lesion_update(*, lesion: Lesion, user: Any, **changes: str) -> Lesion:
    """Correct a lesion's body site, side or label (a migrated lesion's side is "not recorded" until someone
    says). Clinicians of the lesion's clinic only. The visits keep the site and label they were opened and signed
    with; the audit event carries `changes` {field: [old, new]}. Bad input raises ValidationError, writes nothing.
    """
    require_role(user, Role.CLINICIAN)
    unknown = set(changes) - set(LESION_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    locked = (Lesion.objects.visible_to(user).select_for_update().select_related("patient__organisation")
              .filter(pk=lesion.pk).first())
    if locked is None:
        raise Http404("No such lesion in your clinic.")
    for name, allowed in (("body_site", BodySite.values), ("laterality", Laterality.values)):
        if name in changes and changes[name] not in allowed:
            raise ValidationError({name: f"Choose one of: {', '.join(allowed)}."})
    if "label" in changes:
        changes["label"] = _clean_text(changes["label"], field="label")
    changed = {name: value for name, value in changes.items() if getattr(locked, name) != value}
    if not changed:
        return locked
    old = {name: getattr(locked, name) for name in changed}
    for name, value in changed.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save(update_fields=[*changed, "updated_at"])
    audit_log(action="lesion.update", actor=user, obj=locked, organisation=locked.patient.organisation, details={
        "patient_id": locked.patient_id, "fields": sorted(changed),
        "changes": {name: [old[name], changed[name]] for name in sorted(changed)},
    })
    return locked
