"""patient_update, lesion_create, lesion_place: clinicians of the patient's clinic only, audited, and bad input
changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Lesion, Patient
from dermreview.cases.services.patients import lesion_create, lesion_place, patient_update
from tests.dermreview.lesions.patient_helpers import lesion_of, patient_of

pytestmark = pytest.mark.django_db


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def test_patient_update_saves_the_details_and_audits_old_and_new(alice: Any) -> None:
    patient = patient_of(alice)
    patient_update(patient=patient, user=alice, birth_year=1961, sex="female", fitzpatrick_type="II")
    patient.refresh_from_db()
    assert (patient.birth_year, patient.sex, patient.fitzpatrick_type) == (1961, "female", "II")
    [event] = _events("patient.update")
    assert event.actor_username == "alice" and event.organisation_id == alice.organisation_id
    assert event.details["changes"]["fitzpatrick_type"] == ["", "II"]
    assert event.details["changes"]["birth_year"] == [None, 1961]


def test_patient_update_without_a_change_writes_nothing(alice: Any) -> None:
    patient = patient_of(alice)
    patient_update(patient=patient, user=alice, sex="", fitzpatrick_type="")
    assert _events("patient.update") == []


@pytest.mark.parametrize("changes", [
    {"birth_year": 1850}, {"birth_year": 2999}, {"birth_year": "nineteen"},
    {"fitzpatrick_type": "VII"}, {"sex": "unknown"}, {"birth_year": 1970, "fitzpatrick_type": "0"},
])
def test_patient_update_refuses_bad_input_and_changes_nothing(alice: Any, changes: dict[str, Any]) -> None:
    patient = patient_of(alice)
    with pytest.raises(ValidationError) as refused:
        patient_update(patient=patient, user=alice, **changes)
    assert set(refused.value.message_dict) <= {"birth_year", "fitzpatrick_type", "sex"}
    fresh = Patient.objects.get(pk=patient.pk)
    assert (fresh.birth_year, fresh.sex, fresh.fitzpatrick_type) == (None, "", "")
    assert _events("patient.update") == []


@pytest.mark.parametrize("persona", ["bob", "carol", "adam", "mallory"])
def test_patient_update_is_for_clinicians_of_the_patients_clinic(request: Any, alice: Any, persona: str) -> None:
    patient = patient_of(alice)
    with pytest.raises(PermissionDenied):
        patient_update(patient=patient, user=request.getfixturevalue(persona), fitzpatrick_type="IV")
    assert Patient.objects.get(pk=patient.pk).fitzpatrick_type == ""


def test_lesion_create_places_the_lesion_and_audits_it(alice: Any) -> None:
    patient = patient_of(alice)
    lesion = lesion_create(patient=patient, user=alice, body_site="upper_arm", laterality="left",
                           label="  L2 arm ", view="front", x=0.81, y="0.3")
    assert (lesion.body_site, lesion.laterality, lesion.label) == ("upper_arm", "left", "L2 arm")
    assert (lesion.map_view, lesion.map_x, lesion.map_y) == ("front", 0.81, 0.3)
    [event] = _events("lesion.create")
    assert event.details["map"] == ["front", 0.81, 0.3] and event.details["patient_id"] == patient.pk


def test_lesion_create_without_a_position_is_not_on_the_map(alice: Any) -> None:
    lesion = lesion_create(patient=patient_of(alice), user=alice, body_site="back")
    assert (lesion.map_view, lesion.map_x, lesion.map_y, lesion.laterality) == ("", None, None, "unknown")


@pytest.mark.parametrize(("fields", "field"), [
    ({"body_site": "elbow"}, "body_site"),
    ({"laterality": "both"}, "laterality"),
    ({"label": "L1\u200bhidden"}, "label"),
    ({"view": "front", "x": 0.5}, "y"),
    ({"view": "front", "x": 1.2, "y": 0.5}, "x"),
    ({"view": "torso", "x": 0.2, "y": 0.5}, "view"),
])
def test_lesion_create_refuses_bad_input_and_creates_nothing(alice: Any, fields: dict[str, Any], field: str) -> None:
    patient = patient_of(alice)
    with pytest.raises(ValidationError) as refused:
        lesion_create(patient=patient, user=alice, **{"body_site": "back", **fields})
    assert field in refused.value.message_dict
    assert not Lesion.objects.exists() and _events("lesion.create") == []


@pytest.mark.parametrize("persona", ["bob", "mallory"])
def test_lesion_create_is_for_clinicians_of_the_patients_clinic(request: Any, alice: Any, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        lesion_create(patient=patient_of(alice), user=request.getfixturevalue(persona), body_site="back")
    assert not Lesion.objects.exists()


def test_lesion_place_moves_the_lesion_and_audits_old_and_new(alice: Any) -> None:
    lesion = lesion_of(patient_of(alice), map_view="front", map_x=0.1, map_y=0.2)
    lesion_place(lesion=lesion, user=alice, view="back", x=0.55, y=0.25)
    lesion.refresh_from_db()
    assert (lesion.map_view, lesion.map_x, lesion.map_y) == ("back", 0.55, 0.25)
    [event] = _events("lesion.place")
    assert event.details["old"] == ["front", 0.1, 0.2] and event.details["new"] == ["back", 0.55, 0.25]
    lesion_place(lesion=lesion, user=alice, view="back", x=0.55, y=0.25)  # the same place again: nothing to record
    assert len(_events("lesion.place")) == 1


@pytest.mark.parametrize(("view", "x", "y", "field"), [
    ("front", 1.01, 0.5, "x"), ("front", 0.5, -0.01, "y"), ("front", "nan", 0.5, "x"), ("front", "inf", 0.5, "x"),
    ("front", "", 0.5, "x"), ("front", None, 0.5, "x"), ("side", 0.5, 0.5, "view"), ("", 0.5, 0.5, "view"),
])
def test_lesion_place_refuses_positions_off_the_figure(alice: Any, view: str, x: Any, y: Any, field: str) -> None:
    lesion = lesion_of(patient_of(alice), map_view="front", map_x=0.1, map_y=0.2)
    with pytest.raises(ValidationError) as refused:
        lesion_place(lesion=lesion, user=alice, view=view, x=x, y=y)
    assert field in refused.value.message_dict
    fresh = Lesion.objects.get(pk=lesion.pk)
    assert (fresh.map_view, fresh.map_x, fresh.map_y) == ("front", 0.1, 0.2)
    assert _events("lesion.place") == []


@pytest.mark.parametrize("persona", ["bob", "carol", "mallory"])
def test_lesion_place_is_for_clinicians_of_the_patients_clinic(request: Any, alice: Any, persona: str) -> None:
    lesion = lesion_of(patient_of(alice))
    with pytest.raises(PermissionDenied):
        lesion_place(lesion=lesion, user=request.getfixturevalue(persona), view="front", x=0.5, y=0.5)
    assert Lesion.objects.get(pk=lesion.pk).map_view == ""
