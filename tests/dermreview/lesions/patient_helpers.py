"""Scenario builders for the patient page and timeline tests: a patient, lesions, and visits in given states."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from dermreview.cases.models import (
    Case,
    CaseStatus,
    ConfirmType,
    DiagnosisClass,
    Lesion,
    LesionOutcome,
    Patient,
)
from tests.factories import CaseFactory, ReviewFactory


def patient_of(user: Any, reference: str = "PT-MAP-1") -> Patient:
    return Patient.objects.create(organisation=user.organisation, reference=reference, created_by=user)


def lesion_of(patient: Patient, **fields: Any) -> Lesion:
    fields.setdefault("body_site", "back")
    return Lesion.objects.create(patient=patient, **fields)


def visit(lesion: Lesion, owner: Any, *, status: str = CaseStatus.AWAITING_REVIEW, days_ago: float = 0) -> Case:
    """A case (one visit) of `lesion`, opened `days_ago`."""
    case = CaseFactory(organisation=owner.organisation, created_by=owner, status=status, patient=lesion.patient,
                       lesion=lesion, patient_ref=lesion.patient.reference, body_site=lesion.body_site,
                       lesion_label=lesion.label)
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    case.refresh_from_db()
    return case


def signed_visit(lesion: Lesion, owner: Any, reviewer: Any, *, plan: str = "discharge", follow_up_on: date | None = None,
                 days_ago: float = 0, **review_fields: Any) -> Case:
    """A final visit of `lesion` whose sign-off by `reviewer` records `plan`."""
    case = visit(lesion, owner, status=CaseStatus.FINAL, days_ago=days_ago)
    ReviewFactory(case=case, reviewer=reviewer, management_plan=plan, follow_up_on=follow_up_on, **review_fields)
    return case


def outcome(lesion: Lesion, user: Any, *, confirm_type: str = ConfirmType.HISTOPATHOLOGY) -> LesionOutcome:
    return LesionOutcome.objects.create(
        lesion=lesion, diagnosis_class=DiagnosisClass.objects.filter(organisation__isnull=True).order_by("pk").first(),
        diagnosed_on=timezone.localdate(), confirm_type=confirm_type, recorded_by=user, lab_reference="LAB-1")


