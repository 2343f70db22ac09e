"""case_create and case_update put every case on its patient and lesion (cases/services/lesions.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case, Lesion, Patient
from dermreview.cases.services.case import case_create, case_update
from dermreview.cases.services.lesions import lesion_update, patient_create

pytestmark = pytest.mark.django_db


def _open(user, **fields: str) -> Case:  # noqa: ANN001
    return case_create(user=user, **{"patient_ref": "PT-00042", "body_site": "back", "lesion_label": "L1", **fields})


def test_cases_of_one_reference_site_and_label_are_visits_of_one_lesion(alice) -> None:  # noqa: ANN001
    first, second = _open(alice), _open(alice, clinical_notes="Three months on.")
    other_label = _open(alice, lesion_label="L2")
    other_site = _open(alice, body_site="face")
    assert first.patient_id == second.patient_id == other_label.patient_id == other_site.patient_id
    assert first.lesion_id == second.lesion_id
    assert len({first.lesion_id, other_label.lesion_id, other_site.lesion_id}) == 3
    assert Patient.objects.get().reference == "PT-00042"
    assert Lesion.objects.get(pk=first.lesion_id).created_by == alice


def test_the_same_reference_in_another_clinic_is_another_patient(alice, mallory) -> None:  # noqa: ANN001
    ours, theirs = _open(alice), _open(mallory)
    assert ours.patient_id != theirs.patient_id and ours.lesion_id != theirs.lesion_id
    assert Patient.objects.get(pk=theirs.patient_id).organisation_id == mallory.organisation_id


def test_a_known_side_never_joins_the_lesion_of_the_other_side(alice) -> None:  # noqa: ANN001
    left = _open(alice, laterality="left", lesion_label="")
    right = _open(alice, laterality="right", lesion_label="")
    again = _open(alice, laterality="left", lesion_label="")
    unsided = _open(alice, lesion_label="")  # no side given: the oldest lesion of that site and label
    assert left.lesion_id != right.lesion_id
    assert again.lesion_id == left.lesion_id == unsided.lesion_id
    assert Lesion.objects.get(pk=right.lesion_id).laterality == "right"


def test_a_follow_up_visit_takes_patient_site_and_label_from_its_lesion(alice, mallory) -> None:  # noqa: ANN001
    first = _open(alice, lesion_label="L7")
    lesion = Lesion.objects.select_related("patient").get(pk=first.lesion_id)
    follow_up = case_create(user=alice, patient_ref="ignored", body_site="face", lesion=lesion)
    assert (follow_up.lesion_id, follow_up.patient_id) == (lesion.pk, lesion.patient_id)
    assert (follow_up.patient_ref, follow_up.body_site, follow_up.lesion_label) == ("PT-00042", "back", "L7")
    with pytest.raises(ValidationError) as refused:
        case_create(user=mallory, patient_ref="", body_site="", lesion=lesion)
    assert "lesion" in refused.value.message_dict
    assert Case.objects.filter(organisation=mallory.organisation).count() == 0


def test_editing_the_site_or_label_moves_the_case_to_that_lesion(alice) -> None:  # noqa: ANN001
    case, other = _open(alice), _open(alice, lesion_label="L2")
    lesion_before = case.lesion_id
    case_update(case=case, user=alice, clinical_notes="Itches.")
    assert Case.objects.get(pk=case.pk).lesion_id == lesion_before
    case_update(case=case, user=alice, lesion_label="L2")
    stored = Case.objects.get(pk=case.pk)
    assert (stored.lesion_id, stored.patient_id) == (other.lesion_id, other.patient_id)
    case_update(case=case, user=alice, body_site="face")
    assert Lesion.objects.get(pk=Case.objects.get(pk=case.pk).lesion_id).body_site == "face"


def test_patient_create_refuses_a_second_record_of_one_reference(alice, bob) -> None:  # noqa: ANN001
    patient = patient_create(user=alice, reference="PT-00050", fitzpatrick_type="IV")
    assert AuditEvent.objects.get(action="patient.create").details["fitzpatrick_type"] == "IV"
    with pytest.raises(ValidationError) as refused:
        patient_create(user=alice, reference="PT-00050")
    assert f"patient {patient.pk}" in refused.value.message_dict["reference"][0]
    with pytest.raises(PermissionDenied):
        patient_create(user=bob, reference="PT-00051")
    assert Patient.objects.count() == 1


def test_lesion_update_checks_its_input_and_audits_old_and_new(alice, mallory) -> None:  # noqa: ANN001
    lesion = Lesion.objects.get(pk=_open(alice).lesion_id)
    with pytest.raises(ValidationError):
        lesion_update(lesion=lesion, user=alice, laterality="both")
    lesion_update(lesion=lesion, user=alice, laterality="midline", label=" L1b ")
    lesion.refresh_from_db()
    assert (lesion.laterality, lesion.label) == ("midline", "L1b")
    assert AuditEvent.objects.get(action="lesion.update").details["changes"]["laterality"] == ["unknown", "midline"]
    with pytest.raises(Http404):  # another clinic's lesion is not there for them
        lesion_update(lesion=lesion, user=mallory, label="taken")
