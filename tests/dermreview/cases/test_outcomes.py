"""Recording and correcting a lesion's outcome (cases/services/outcomes.py)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import BodySite, DiagnosisClass, Lesion, LesionOutcome, Patient
from dermreview.cases.services.outcomes import OutcomeRefused, outcome_record, outcome_void
from tests.factories import DiagnosisClassFactory

pytestmark = pytest.mark.django_db


def lesion_of(organisation, reference: str = "PT-OUT-1") -> Lesion:  # noqa: ANN001
    patient = Patient.objects.create(organisation=organisation, reference=reference)
    return Lesion.objects.create(patient=patient, body_site=BodySite.BACK, laterality="left", label="L1")


@pytest.fixture
def lesion(clinic):  # noqa: ANN001, ANN201
    return lesion_of(clinic)


@pytest.fixture
def melanoma(db):  # noqa: ANN001, ANN201
    return DiagnosisClass.objects.filter(organisation__isnull=True, high_risk=True, active=True).first()


def _record(lesion, user, diagnosis, **overrides):  # noqa: ANN001, ANN003, ANN202
    values = {"diagnosis_class_id": diagnosis.pk, "diagnosed_on": datetime.date(2026, 11, 20),
              "confirm_type": "histopathology", "lab_reference": "  HP-26-0412 ", "notes": "Clear margins."}
    return outcome_record(lesion=lesion, user=user, **{**values, **overrides})


def test_a_clinician_records_an_outcome_normalised_and_audited(alice, lesion, melanoma):
    outcome = _record(lesion, alice, melanoma, lab_reference="\uff28\uff30-26-0412 ")  # full-width letters
    assert outcome.lab_reference == "HP-26-0412" and outcome.recorded_by == alice
    assert LesionOutcome.objects.current().get(lesion=lesion) == outcome
    event = AuditEvent.objects.get(action="lesion.outcome_record")
    assert event.actor == alice and event.organisation_id == alice.organisation_id
    assert event.details == {"lesion_id": lesion.pk, "diagnosis_class": melanoma.code, "diagnosed_on": "2026-11-20",
                             "confirm_type": "histopathology", "lab_reference": "HP-26-0412",
                             "notes": "Clear margins."}


def test_a_second_outcome_is_refused_until_the_first_is_voided(alice, bob, lesion, melanoma):
    first = _record(lesion, alice, melanoma)
    with pytest.raises(OutcomeRefused) as caught:
        _record(lesion, bob, melanoma)
    assert caught.value.code == "outcome_exists" and "void it with a reason" in caught.value.message
    voided = outcome_void(outcome=first, user=bob, reason=" Wrong lab report attached. ")
    assert voided.voided_by == bob and voided.void_reason == "Wrong lab report attached."
    benign = DiagnosisClass.objects.filter(organisation__isnull=True, high_risk=False, active=True).first()
    second = _record(lesion, bob, benign, confirm_type="serial imaging showing no change")
    assert list(LesionOutcome.objects.current().filter(lesion=lesion)) == [second]
    assert LesionOutcome.objects.filter(lesion=lesion).count() == 2
    event = AuditEvent.objects.get(action="lesion.outcome_void")
    assert event.details == {"lesion_id": lesion.pk, "reason": "Wrong lab report attached."}


def test_voiding_needs_a_reason_and_happens_once(alice, lesion, melanoma):
    outcome = _record(lesion, alice, melanoma)
    with pytest.raises(OutcomeRefused) as caught:
        outcome_void(outcome=outcome, user=alice, reason="   ")
    assert caught.value.field == "reason"
    outcome.refresh_from_db()
    assert outcome.voided_at is None
    outcome_void(outcome=outcome, user=alice, reason="Typo")
    with pytest.raises(OutcomeRefused) as caught:
        outcome_void(outcome=outcome, user=alice, reason="Again")
    assert caught.value.code == "already_void"
    assert AuditEvent.objects.filter(action="lesion.outcome_void").count() == 1


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"diagnosed_on": None}, "diagnosed_on", "Enter the date"),
    ({"confirm_type": "gut feeling"}, "confirm_type", "how the diagnosis was confirmed"),
    ({"diagnosis_class_id": None}, "diagnosis_class", "clinic's lesion classes"),
    ({"lab_reference": "x" * 65}, "lab_reference", "At most 64 characters"),
    ({"notes": "a\u200bb"}, "notes", "ZERO WIDTH SPACE"),
])
def test_bad_input_is_refused_and_records_nothing(alice, lesion, melanoma, overrides, field, words):
    with pytest.raises(OutcomeRefused) as caught:
        _record(lesion, alice, melanoma, **overrides)
    assert caught.value.field == field and words in caught.value.message
    assert not LesionOutcome.objects.exists() and not AuditEvent.objects.filter(action__startswith="lesion.").exists()


def test_a_date_in_the_future_is_refused(alice, lesion, melanoma):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(OutcomeRefused, match="cannot be in the future"):
        _record(lesion, alice, melanoma, diagnosed_on=tomorrow)
    assert _record(lesion, alice, melanoma, diagnosed_on=timezone.localdate()).diagnosed_on == timezone.localdate()


def test_another_clinics_own_class_or_an_inactive_class_is_refused(alice, lesion, other_clinic):
    theirs = DiagnosisClassFactory(organisation=other_clinic)
    retired = DiagnosisClassFactory(organisation=alice.organisation, active=False)
    for diagnosis in (theirs, retired):
        with pytest.raises(OutcomeRefused) as caught:
            _record(lesion, alice, diagnosis)
        assert caught.value.field == "diagnosis_class"
    ours = DiagnosisClassFactory(organisation=alice.organisation)
    assert _record(lesion, alice, ours).diagnosis_class == ours


def test_a_reviewer_may_record_an_auditor_may_not(bob, carol, lesion, melanoma):
    with pytest.raises(PermissionDenied):
        _record(lesion, carol, melanoma)
    assert _record(lesion, bob, melanoma).recorded_by == bob
    with pytest.raises(PermissionDenied):
        outcome_void(outcome=LesionOutcome.objects.get(), user=carol, reason="no")


def test_another_clinic_gets_404(mallory, alice, lesion, melanoma):
    with pytest.raises(Http404):
        _record(lesion, mallory, melanoma)
    outcome = _record(lesion, alice, melanoma)
    with pytest.raises(Http404):
        outcome_void(outcome=outcome, user=mallory, reason="mine now")
    outcome.refresh_from_db()
    assert outcome.voided_at is None
