"""`/api/v1/patients/`: a clinic's pseudonymous patients, created and edited by clinicians, read by every role of
the clinic, invisible (404) to everyone else."""

from __future__ import annotations

import pytest

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Lesion, Patient
from tests.dermreview.api.conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_patient(alice):  # noqa: ANN001, ANN201
    patient = Patient.objects.create(organisation=alice.organisation, reference="PT-00042", created_by=alice)
    Lesion.objects.create(patient=patient, body_site="back", label="L1")
    return patient


def test_a_clinician_registers_a_patient_normalised_and_audited(api, alice) -> None:  # noqa: ANN001
    response = api(alice).post("/api/v1/patients/", {
        "reference": "\uff30\uff34-00777", "birth_year": 1971, "sex": "female", "fitzpatrick_type": "II",
    }, format="json")  # full-width letters, as a phone keyboard may send them

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["reference"], body["birth_year"], body["sex"], body["fitzpatrick_type"]) == (
        "PT-00777", 1971, "female", "II")
    assert body["lesion_count"] == 0 and body["created_by"] == "alice"
    patient = Patient.objects.get(pk=body["id"])
    assert patient.organisation_id == alice.organisation_id
    event = AuditEvent.objects.get(action="patient.create")
    assert event.actor == alice and event.details["reference"] == "PT-00777"


def test_a_reference_already_used_in_the_clinic_is_refused_naming_the_patient(api, alice, alice_patient) -> None:  # noqa: ANN001
    body = assert_error(api(alice).post("/api/v1/patients/", {"reference": "PT-00042"}, format="json"), 400, "invalid")
    assert "already has a patient with this reference" in body["fields"]["reference"][0]
    assert f"patient {alice_patient.pk}" in body["fields"]["reference"][0]
    assert Patient.objects.filter(reference="PT-00042").count() == 1
    assert not AuditEvent.objects.filter(action="patient.create").exists()


def test_the_same_reference_in_another_clinic_is_another_patient(api, mallory, alice_patient) -> None:  # noqa: ANN001
    response = api(mallory).post("/api/v1/patients/", {"reference": "PT-00042"}, format="json")
    assert response.status_code == 201
    assert response.json()["id"] != alice_patient.pk
    assert Patient.objects.filter(reference="PT-00042").count() == 2


@pytest.mark.parametrize(("payload", "field"), [
    ({"reference": "John Smith"}, "reference"),  # a name: the pseudonym rule refuses it
    ({"reference": "PT-1\u200b2"}, "reference"),  # a hidden character
    ({"reference": "PT-00900", "birth_year": 1850}, "birth_year"),
    ({"reference": "PT-00900", "fitzpatrick_type": "VII"}, "fitzpatrick_type"),
    ({"reference": "PT-00900", "sex": "unknown"}, "sex"),
    ({}, "reference"),
])
def test_bad_patient_input_is_a_field_error_and_creates_nothing(api, alice, payload, field) -> None:  # noqa: ANN001
    body = assert_error(api(alice).post("/api/v1/patients/", payload, format="json"), 400)
    assert field in body["fields"], body
    assert not Patient.objects.exists()


def test_only_clinicians_register_patients(api, bob, carol) -> None:  # noqa: ANN001
    for user in (bob, carol):
        assert_error(api(user).post("/api/v1/patients/", {"reference": "PT-00901"}, format="json"), 403)
    assert not Patient.objects.exists()


def test_every_role_of_the_clinic_reads_and_an_outsider_gets_404(api, alice, bob, carol, mallory, alice_patient) -> None:  # noqa: ANN001
    url = f"/api/v1/patients/{alice_patient.pk}/"
    for user in (alice, bob, carol):
        body = api(user).get(url).json()
        assert (body["reference"], body["lesion_count"]) == ("PT-00042", 1)
    assert AuditEvent.objects.filter(action="patient.view", details__via="api").count() == 3
    assert_error(api(mallory).get(url), 404, "not_found")
    assert_error(api(mallory).patch(url, {"sex": "male"}, format="json"), 404)
    assert api(mallory).get("/api/v1/patients/").json()["results"] == []
    assert Patient.objects.get(pk=alice_patient.pk).sex == ""


def test_the_list_filters_by_exact_reference(api, alice, alice_patient) -> None:  # noqa: ANN001
    Patient.objects.create(organisation=alice.organisation, reference="PT-00043")
    client = api(alice)
    assert [p["reference"] for p in client.get("/api/v1/patients/").json()["results"]] == ["PT-00043", "PT-00042"]
    assert [p["id"] for p in client.get("/api/v1/patients/?reference=PT-00042").json()["results"]] == [
        alice_patient.pk]


def test_a_clinician_edits_the_details_audited_with_old_and_new(api, alice, alice_patient) -> None:  # noqa: ANN001
    url = f"/api/v1/patients/{alice_patient.pk}/"
    response = api(alice).patch(url, {"fitzpatrick_type": "V", "birth_year": 1980}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["fitzpatrick_type"], response.json()["birth_year"]) == ("V", 1980)
    event = AuditEvent.objects.get(action="patient.update")
    assert event.details["changes"] == {"birth_year": [None, 1980], "fitzpatrick_type": ["", "V"]}
    cleared = api(alice).patch(url, {"birth_year": None}, format="json")
    assert cleared.json()["birth_year"] is None


def test_the_reference_cannot_change_and_a_bad_edit_changes_nothing(api, alice, bob, alice_patient) -> None:  # noqa: ANN001
    url = f"/api/v1/patients/{alice_patient.pk}/"
    body = assert_error(api(alice).patch(url, {"reference": "PT-99999", "sex": "male"}, format="json"), 400)
    assert "cannot change" in body["fields"]["reference"][0]
    assert_error(api(alice).patch(url, {"birth_year": 3000}, format="json"), 400)
    assert_error(api(bob).patch(url, {"sex": "male"}, format="json"), 403)
    patient = Patient.objects.get(pk=alice_patient.pk)
    assert (patient.reference, patient.sex, patient.birth_year) == ("PT-00042", "", None)
    assert not AuditEvent.objects.filter(action="patient.update").exists()
