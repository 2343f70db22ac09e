"""Editing patients and their lesions: details, new lesions, and a lesion's place on the body map.

Clinicians only. Each write locks its row, validates everything before changing anything (bad input raises
ValidationError by field and writes nothing) and is audited in the same transaction. Outsiders never reach
these: the pages look rows up with `visible_to(user)` (404); the organisation check here is a second guard.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dermreview.accounts.roles import Role, require_role
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import BodyMapView, BodySite, FitzpatrickType, Laterality, Lesion, Patient, Sex
from dermreview.common.text import TextRefused, normalise_text

PATIENT_EDITABLE_FIELDS = ("birth_year", "sex", "fitzpatrick_type")
EARLIEST_BIRTH_YEAR = 1900


def _require_clinician_of(user: Any, organisation_id: int) -> None:
    require_role(user, Role.CLINICIAN)
    if user.organisation_id != organisation_id:
        raise PermissionDenied("This patient belongs to another clinic.")


def _birth_year(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"birth_year": "Enter a year of birth as four digits, or leave it empty."}) from None
    if not EARLIEST_BIRTH_YEAR <= year <= date.today().year:
        raise ValidationError(
            {"birth_year": f"The year of birth must be between {EARLIEST_BIRTH_YEAR} and {date.today().year}."}
        )
    return year


def _patient_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes checked and in stored form; ValidationError by field, before anything is written."""
    unknown = set(changes) - set(PATIENT_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    checked: dict[str, Any] = {}
    if "birth_year" in changes:
        checked["birth_year"] = _birth_year(changes["birth_year"])
    for name, allowed in (("sex", Sex.values), ("fitzpatrick_type", FitzpatrickType.values)):
        if name in changes:
            value = changes[name] or ""
            if value and value not in allowed:
                raise ValidationError({name: f"Choose one of: {', '.join(allowed)} (or leave it empty)."})
            checked[name] = value
    return checked


@transaction.atomic
def patient_update(*, patient: Patient, user: Any, **changes: Any) -> Patient:
    """Change a patient's year of birth, sex or Fitzpatrick skin type (each optional; "" or None clears it).

    The audit event carries `changes` {field: [old, new]}; nothing is written when nothing changes.
    """
    _require_clinician_of(user, patient.organisation_id)
    checked = _patient_changes(changes)
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    changed = {name: value for name, value in checked.items() if getattr(locked, name) != value}
    if not changed:
        return patient
    old = {name: getattr(locked, name) for name in changed}
    for name, value in changed.items():
        setattr(patient, name, value)
    patient.full_clean()
    patient.save(update_fields=[*changed, "updated_at"])
    audit_log(action="patient.update", actor=user, obj=patient, organisation=patient.organisation, details={
        "fields": sorted(changed), "changes": {name: [old[name], changed[name]] for name in sorted(changed)},
    })
    return patient


def map_position(view: Any, x: Any, y: Any) -> tuple[str, float, float]:
    """A body-map position checked: a known view and both coordinates fractions of the figure (0-1)."""
    if view not in BodyMapView.values:
        raise ValidationError({"view": f"Choose a body-map view: {', '.join(BodyMapView.values)}."})
    coordinates: dict[str, float] = {}
    for name, value in (("x", x), ("y", y)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValidationError({name: f"The {name} position must be a number from 0 to 1."}) from None
        if not math.isfinite(number) or not 0 <= number <= 1:
            raise ValidationError({name: f"The {name} position must lie on the figure: from 0 to 1, not {value}."})
        coordinates[name] = round(number, 4)
    return str(view), coordinates["x"], coordinates["y"]


def _lesion_label(label: str) -> str:
    try:
        return normalise_text(label or "", field="label", multiline=False).strip()
    except TextRefused as exc:
        raise ValidationError({"label": exc.message}) from None


@transaction.atomic
def lesion_create(
    *,
    patient: Patient,
    user: Any,
    body_site: str,
    laterality: str = Laterality.UNKNOWN,
    label: str = "",
    view: str = "",
    x: float | None = None,
    y: float | None = None,
) -> Lesion:
    """Add a lesion to `patient`, optionally placed on the body map (`view`, `x`, `y` all given, or none)."""
    _require_clinician_of(user, patient.organisation_id)
    if body_site not in BodySite.values:
        raise ValidationError({"body_site": "Choose a body site from the list."})
    if laterality not in Laterality.values:
        raise ValidationError({"laterality": "Choose left, right, midline or not recorded."})
    lesion = Lesion(patient=patient, body_site=body_site, laterality=laterality, label=_lesion_label(label),
                    created_by=user)
    if view or x not in (None, "") or y not in (None, ""):
        lesion.map_view, lesion.map_x, lesion.map_y = map_position(view, x, y)
    lesion.full_clean()
    lesion.save()
    audit_log(action="lesion.create", actor=user, obj=lesion, organisation=patient.organisation, details={
        "patient_id": patient.pk, "body_site": body_site, "laterality": laterality, "label": lesion.label,
        "map": [lesion.map_view, lesion.map_x, lesion.map_y] if lesion.map_view else None,
    })
    return lesion


@transaction.atomic
def lesion_place(*, lesion: Lesion, user: Any, view: str, x: float, y: float) -> Lesion:
    """Place (or move) a lesion on the body map: `view` names the figure, `x` and `y` are fractions of its width
    and height from the top left. Out-of-range or non-numeric coordinates raise ValidationError and move nothing."""
    _require_clinician_of(user, lesion.patient.organisation_id)
    view, x, y = map_position(view, x, y)
    locked = Lesion.objects.select_for_update().get(pk=lesion.pk)
    old = [locked.map_view, locked.map_x, locked.map_y] if locked.map_view else None
    if old == [view, x, y]:
        return lesion
    lesion.map_view, lesion.map_x, lesion.map_y = view, x, y
    lesion.save(update_fields=["map_view", "map_x", "map_y", "updated_at"])
    audit_log(action="lesion.place", actor=user, obj=lesion, organisation=lesion.patient.organisation,
              details={"patient_id": lesion.patient_id, "old": old, "new": [view, x, y]})
    return lesion
