"""What a lesion turned out to be: recording its outcome (histopathology, follow-up, consensus) and correcting it.

The outcome is the reference standard the AI drafts and the signed findings are measured against, so it is
entered by the clinic's clinicians and reviewers only, from the clinic's own lesion-class vocabulary, and never
edited in place: a correction voids the current outcome (kept, with who, when and why) and records a new one.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from dermreview.accounts.roles import Role, require_role
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import ConfirmType, DiagnosisClass, Lesion, LesionOutcome
from dermreview.common.text import TextRefused, normalise_text

LAB_REFERENCE_MAX = 64
NOTES_MAX = 2000


class OutcomeRefused(Exception):
    """`code`: `invalid` (400; `field` names the input), `outcome_exists` or `already_void` (409)."""

    def __init__(self, code: str, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def outcome_record(
    *, lesion: Lesion, user: Any, diagnosis_class_id: int | None, diagnosed_on: datetime.date | None,
    confirm_type: str, lab_reference: str = "", notes: str = "",
) -> LesionOutcome:
    """Record the lesion's outcome. Refused while it has a current one (`outcome_exists`: void that first), for a
    class outside the clinic's active vocabulary, and for a date in the future."""
    require_role(user, Role.CLINICIAN, Role.REVIEWER)
    if confirm_type not in ConfirmType.values:
        raise OutcomeRefused("invalid", "Choose how the diagnosis was confirmed.", field="confirm_type")
    if diagnosed_on is None:
        raise OutcomeRefused("invalid", "Enter the date of the diagnosis.", field="diagnosed_on")
    if diagnosed_on > timezone.localdate():
        raise OutcomeRefused("invalid", "The date of the diagnosis cannot be in the future.", field="diagnosed_on")
    lab_reference = _text(lab_reference, field="lab_reference", limit=LAB_REFERENCE_MAX, multiline=False)
    notes = _text(notes, field="notes", limit=NOTES_MAX, multiline=True)
    with transaction.atomic():
        locked = _lesion_for_update(lesion, user)
        organisation = locked.patient.organisation
        diagnosis = _diagnosis(organisation.pk, diagnosis_class_id)
        if LesionOutcome.objects.filter(lesion=locked).current().exists():
            raise OutcomeRefused(
                "outcome_exists", "This lesion already has an outcome. To correct it, void it with a reason first.")
        try:
            with transaction.atomic():
                outcome = LesionOutcome.objects.create(
                    lesion=locked, diagnosis_class=diagnosis, diagnosed_on=diagnosed_on, confirm_type=confirm_type,
                    lab_reference=lab_reference, notes=notes, recorded_by=user,
                )
        except IntegrityError:  # a concurrent recording won the one-current-outcome constraint
            raise OutcomeRefused("outcome_exists", "This lesion already has an outcome.") from None
        audit_log(action="lesion.outcome_record", actor=user, obj=outcome, organisation=organisation, details={
            "lesion_id": locked.pk, "diagnosis_class": diagnosis.code, "diagnosed_on": diagnosed_on.isoformat(),
            "confirm_type": confirm_type, "lab_reference": lab_reference, "notes": notes,
        })
    return outcome


def outcome_void(*, outcome: LesionOutcome, user: Any, reason: str) -> LesionOutcome:
    """Void the outcome (a correction starts here); the reason is required and kept with the row."""
    require_role(user, Role.CLINICIAN, Role.REVIEWER)
    reason = _text(reason, field="reason", limit=NOTES_MAX, multiline=True)
    if not reason:
        raise OutcomeRefused("invalid", "Give the reason for voiding this outcome.", field="reason")
    with transaction.atomic():
        locked = LesionOutcome.objects.visible_to(user).select_for_update().filter(pk=outcome.pk).first()
        if locked is None:
            raise Http404("No such outcome.")
        if locked.voided_at is not None:
            raise OutcomeRefused("already_void", "This outcome has already been voided.")
        locked.voided_at = timezone.now()
        locked.voided_by = user
        locked.void_reason = reason
        locked.save(update_fields=["voided_at", "voided_by", "void_reason"])
        audit_log(action="lesion.outcome_void", actor=user, obj=locked, organisation=user.organisation,
                  details={"lesion_id": locked.lesion_id, "reason": reason})
    return locked


def outcome_diagnosis_choices(*, organisation_id: int) -> list[tuple[int, str]]:
    """The classes an outcome may name: the clinic's active vocabulary, in its order."""
    rows = DiagnosisClass.objects.for_organisation(organisation_id).filter(active=True)
    return [(row.pk, row.name) for row in rows]


def _lesion_for_update(lesion: Lesion, user: Any) -> Lesion:
    locked = (Lesion.objects.visible_to(user).select_for_update().select_related("patient__organisation")
              .filter(pk=lesion.pk).first())
    if locked is None:
        raise Http404("No such lesion.")
    return locked


def _diagnosis(organisation_id: int, diagnosis_class_id: int | None) -> DiagnosisClass:
    diagnosis = (DiagnosisClass.objects.for_organisation(organisation_id).filter(active=True)
                 .filter(pk=diagnosis_class_id).first() if diagnosis_class_id is not None else None)
    if diagnosis is None:
        raise OutcomeRefused("invalid", "Choose a diagnosis from the clinic's lesion classes.",
                             field="diagnosis_class")
    return diagnosis


def _text(value: str, *, field: str, limit: int, multiline: bool) -> str:
    try:
        text = normalise_text(value or "", field=field, multiline=multiline).strip()
    except TextRefused as refused:
        raise OutcomeRefused("invalid", " ".join(refused.messages), field=field) from None
    if len(text) > limit:
        raise OutcomeRefused("invalid", f"At most {limit} characters ({len(text)} given).", field=field)
    return text
