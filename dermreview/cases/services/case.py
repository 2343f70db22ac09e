"""Creating and editing cases."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from dermreview.accounts.roles import Role, require_role
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Case, CaseStatus, Lesion
from dermreview.cases.services.lesions import case_link_lesion
from dermreview.common.text import TextRefused, normalise_text

EDITABLE_FIELDS = ("body_site", "lesion_label", "clinical_notes")
# Every status in which a finding has been signed: a first sign-off waiting for its second reviewer, two that
# disagree and await adjudication, a final one. The case's details and its photos' capture types are what the
# finding was signed against, so both stay fixed in these (`case_editable`, `image_capture.capture_type_editable`).
SIGNED_STATUSES = frozenset({CaseStatus.NEEDS_SECOND_REVIEW, CaseStatus.NEEDS_ADJUDICATION, CaseStatus.FINAL})
SIGNED_MESSAGE = (
    "This case has a signed finding: its details are part of what was signed. Ask a reviewer to amend the finding "
    "if the body site, lesion label or notes were wrong."
)


class CaseSigned(Exception):
    """The case's details cannot change: a finding has been signed against them (HTTP 409)."""

    code = "case_signed"

    def __init__(self, message: str = SIGNED_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


def case_editable(case: Case) -> bool:
    """Whether the case's details may still change (no finding signed against them)."""
    return case.status not in SIGNED_STATUSES
# The free-text fields of a case, and whether each keeps line breaks.
_TEXT_FIELDS = {"patient_ref": False, "lesion_label": False, "clinical_notes": True}


def _normalised(values: dict[str, str]) -> dict[str, str]:
    """`values` with each free-text field NFKC-normalised; ValidationError by field for a hidden character."""
    errors: dict[str, str] = {}
    result = dict(values)
    for name, value in values.items():
        if name in _TEXT_FIELDS and isinstance(value, str):
            try:
                result[name] = normalise_text(value, field=name, multiline=_TEXT_FIELDS[name])
            except TextRefused as exc:
                errors[name] = exc.message
    if errors:
        raise ValidationError(errors)
    return result


def _choose_blind_first() -> bool:
    # secrets, not random: which cases are blind must not be predictable from the outside.
    share = float(settings.DERMREVIEW_BLIND_FIRST_SHARE)
    return secrets.randbelow(1_000_000) < int(share * 1_000_000)


@transaction.atomic
def case_create(
    *,
    user: Any,
    patient_ref: str,
    body_site: str,
    lesion_label: str = "",
    clinical_notes: str = "",
    lesion: Lesion | None = None,
    laterality: str = "",
) -> Case:
    """Open a case (one visit of one lesion) in the user's organisation. Clinicians and admins only.

    A follow-up visit names its `lesion` (of the user's clinic): the patient reference, body site and label come
    from it. Otherwise they resolve to the patient and lesion rows, created when new (`services/lesions.py`).

    Text is NFKC-normalised; a hidden character (invisible, format, direction-changing, control) raises
    ValidationError naming the field, as the model's own rules do.
    """
    require_role(user, Role.CLINICIAN)
    if lesion is not None:
        if lesion.patient.organisation_id != user.organisation_id:
            raise ValidationError({"lesion": "No such lesion in your clinic."})
        patient_ref, body_site, lesion_label = lesion.patient.reference, lesion.body_site, lesion.label
    text = _normalised({"patient_ref": patient_ref, "lesion_label": lesion_label, "clinical_notes": clinical_notes})
    patient_ref, lesion_label, clinical_notes = text["patient_ref"], text["lesion_label"], text["clinical_notes"]
    case = Case(
        organisation_id=user.organisation_id,
        patient_ref=patient_ref,
        body_site=body_site,
        lesion_label=lesion_label,
        clinical_notes=clinical_notes,
        blind_first=_choose_blind_first(),
        created_by=user,
    )
    case.full_clean()
    if lesion is not None:
        case.patient, case.lesion = lesion.patient, lesion
    else:
        case_link_lesion(case, user=user, laterality=laterality)
    case.save()
    audit_log(action="case.create", actor=user, obj=case,
              details={"body_site": body_site, "blind_first": case.blind_first})
    return case


@transaction.atomic
def case_update(*, case: Case, user: Any, **changes: str) -> Case:
    """Edit the clinical context of a case (not its status, which only the review services move).

    Refused with CaseSigned while the case is final or awaiting a second sign-off: a signed finding was made for
    these details, and a reviewer amends the finding instead. The case row is locked so a concurrent sign-off
    either sees the new details or makes this refuse. The audit event carries `changes` {field: [old, new]}.
    """
    require_role(user, Role.CLINICIAN)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    changes = _normalised(changes)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if not case_editable(locked):
        raise CaseSigned()
    changed = {name: value for name, value in changes.items() if getattr(locked, name) != value}
    if not changed:
        return case
    old = {name: getattr(locked, name) for name in changed}
    for name, value in changed.items():
        setattr(case, name, value)
    case.full_clean()
    linked: list[str] = []
    if {"body_site", "lesion_label"} & set(changed):
        case_link_lesion(case, user=user)
        linked = ["patient", "lesion"]
    case.save(update_fields=[*changed, *linked, "updated_at"])
    audit_log(action="case.update", actor=user, obj=case, details={
        "fields": sorted(changed), "changes": {name: [old[name], changed[name]] for name in sorted(changed)},
    })
    return case
