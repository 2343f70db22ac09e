"""`/api/v1/outcomes/`: what a lesion turned out to be, recorded by clinicians and reviewers, corrected by voiding
with a reason, read by auditors, invisible (404) to other clinics."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import DiagnosisClass, Lesion, LesionOutcome, Patient
from tests.dermreview.api.conftest import assert_error
from tests.factories import DiagnosisClassFactory

pytestmark = pytest.mark.django_db


def _lesion(organisation, reference: str = "PT-00042") -> Lesion:  # noqa: ANN001
    patient = Patient.objects.create(organisation=organisation, reference=reference)
    return Lesion.objects.create(patient=patient, body_site="back", laterality="left", label="L1")


@pytest.fixture
def lesion(alice):  # noqa: ANN001, ANN201
    return _lesion(alice.organisation)


@pytest.fixture
def melanoma(db):  # noqa: ANN001, ANN201
    return DiagnosisClass.objects.filter(organisation__isnull=True, high_risk=True, active=True).first()


def _payload(lesion: Lesion, diagnosis: DiagnosisClass, **overrides: object) -> dict[str, object]:
    return {"lesion": lesion.pk, "diagnosis_class": diagnosis.code, "diagnosed_on": "2026-11-20",
            "confirm_type": "histopathology", "lab_reference": "HP-26-0412", "notes": "Clear margins.", **overrides}


@pytest.mark.parametrize("recorder", ["alice", "bob"])
def test_clinicians_and_reviewers_record_an_outcome_audited(request, api, lesion, melanoma, recorder) -> None:  # noqa: ANN001
    user = request.getfixturevalue(recorder)
    response = api(user).post("/api/v1/outcomes/", _payload(lesion, melanoma), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["lesion"] == lesion.pk and body["current"] is True and body["recorded_by"] == recorder
    assert body["diagnosis_class"] == {"code": melanoma.code, "name": melanoma.name, "high_risk": True}
    assert (body["confirm_type"], body["confirm_type_label"]) == ("histopathology", "Histopathology")
    assert "not by the AI" in body["label"]
    event = AuditEvent.objects.get(action="lesion.outcome_record")
    assert event.actor == user and event.details["diagnosis_class"] == melanoma.code


def test_a_second_outcome_is_a_conflict_until_the_first_is_voided_with_a_reason(api, alice, bob, lesion, melanoma) -> None:  # noqa: ANN001
    client = api(alice)
    first = client.post("/api/v1/outcomes/", _payload(lesion, melanoma), format="json").json()
    assert_error(client.post("/api/v1/outcomes/", _payload(lesion, melanoma), format="json"), 409, "outcome_exists")
    no_reason = assert_error(api(bob).post(f"/api/v1/outcomes/{first['id']}/void/", {"reason": " "},
                                           format="json"), 400)
    assert "reason" in no_reason["fields"]
    voided = api(bob).post(f"/api/v1/outcomes/{first['id']}/void/", {"reason": "Wrong report attached."},
                           format="json")
    assert voided.status_code == 200, voided.content
    assert (voided.json()["current"], voided.json()["voided_by"], voided.json()["void_reason"]) == (
        False, "bob", "Wrong report attached.")
    assert AuditEvent.objects.get(action="lesion.outcome_void").details["reason"] == "Wrong report attached."
    assert_error(api(bob).post(f"/api/v1/outcomes/{first['id']}/void/", {"reason": "again"}, format="json"),
                 409, "already_void")
    assert client.post("/api/v1/outcomes/", _payload(lesion, melanoma), format="json").status_code == 201
    listed = client.get(f"/api/v1/outcomes/?lesion={lesion.pk}").json()["results"]
    assert [row["current"] for row in listed] == [True, False]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"diagnosis_class": "no-such-class"}, "diagnosis_class"),
    ({"diagnosed_on": (date.today() + timedelta(days=2)).isoformat()}, "diagnosed_on"),
    ({"confirm_type": "a hunch"}, "confirm_type"),
    ({"lab_reference": "HP\u202e26"}, "lab_reference"),  # a direction-changing character
    ({"lab_reference": "x" * 65}, "lab_reference"),
])
def test_bad_outcome_input_is_a_field_error_and_records_nothing(api, alice, lesion, melanoma, overrides, field) -> None:  # noqa: ANN001
    body = assert_error(api(alice).post("/api/v1/outcomes/", _payload(lesion, melanoma, **overrides),
                                        format="json"), 400)
    assert field in body["fields"], body
    assert not LesionOutcome.objects.exists()


def test_another_clinics_lesion_and_class_are_refused(api, alice, mallory, lesion, melanoma) -> None:  # noqa: ANN001
    outsider_lesion = _lesion(mallory.organisation)
    theirs = DiagnosisClassFactory(organisation=mallory.organisation, code="hilltop-own")
    client = api(alice)
    assert_error(client.post("/api/v1/outcomes/", _payload(outsider_lesion, melanoma), format="json"), 404)
    assert_error(client.get(f"/api/v1/outcomes/?lesion={outsider_lesion.pk}"), 404)
    assert_error(client.post("/api/v1/outcomes/", _payload(lesion, theirs), format="json"), 400)
    assert not LesionOutcome.objects.exists()


def test_auditors_read_but_never_record_and_outsiders_see_nothing(api, alice, carol, mallory, lesion, melanoma) -> None:  # noqa: ANN001
    outcome = api(alice).post("/api/v1/outcomes/", _payload(lesion, melanoma), format="json").json()
    assert api(carol).get(f"/api/v1/outcomes/{outcome['id']}/").json()["id"] == outcome["id"]
    assert [row["id"] for row in api(carol).get("/api/v1/outcomes/").json()["results"]] == [outcome["id"]]
    assert_error(api(carol).post("/api/v1/outcomes/", _payload(lesion, melanoma), format="json"), 403)
    assert_error(api(carol).post(f"/api/v1/outcomes/{outcome['id']}/void/", {"reason": "x"}, format="json"), 403)
    assert_error(api(mallory).get(f"/api/v1/outcomes/{outcome['id']}/"), 404, "not_found")
    assert_error(api(mallory).post(f"/api/v1/outcomes/{outcome['id']}/void/", {"reason": "x"}, format="json"), 404)
    assert api(mallory).get("/api/v1/outcomes/").json()["results"] == []
    assert LesionOutcome.objects.get().voided_at is None
