"""`/api/v1/lesions/` and `lesions/{id}/timeline/`, and the case endpoints' patient and lesion links."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case, CaseStatus, Lesion, Patient
from dermreview.cases.services.case import case_create
from tests.dermreview.api.conftest import assert_error
from tests.factories import DraftFactory, LesionImageFactory, ReviewFactory

pytestmark = pytest.mark.django_db

DRAFT_TEXT = "Irregular pigment network suggests melanoma"  # the AI's words: never in a timeline


@pytest.fixture
def patient(alice):  # noqa: ANN001, ANN201
    return Patient.objects.create(organisation=alice.organisation, reference="PT-00042", created_by=alice)


@pytest.fixture
def lesion(patient):  # noqa: ANN001, ANN201
    return Lesion.objects.create(patient=patient, body_site="back", laterality="left", label="L1")


@pytest.fixture
def outsider_patient(mallory):  # noqa: ANN001, ANN201
    return Patient.objects.create(organisation=mallory.organisation, reference="PT-00042")


def _visit(lesion, user, *, days_ago: int, status: str = CaseStatus.AWAITING_REVIEW, photos: int = 1) -> Case:  # noqa: ANN001
    case = case_create(user=user, patient_ref="", body_site="", lesion=lesion)
    Case.objects.filter(pk=case.pk).update(status=status, created_at=timezone.now() - timedelta(days=days_ago))
    for _ in range(photos):
        DraftFactory(image=LesionImageFactory(case=case, uploaded_by=user), summary=DRAFT_TEXT)
    case.refresh_from_db()
    return case


def test_a_clinician_adds_a_placed_lesion_audited(api, alice, patient) -> None:  # noqa: ANN001
    response = api(alice).post("/api/v1/lesions/", {
        "patient": patient.pk, "body_site": "back", "laterality": "right",
        "label": " L2 mole ", "map_view": "back", "map_x": 0.25, "map_y": 0.4,
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["patient"], body["patient_reference"], body["laterality"], body["label"]) == (
        patient.pk, "PT-00042", "right", "L2 mole")
    assert (body["map_view"], body["map_x"], body["map_y"], body["visit_count"]) == ("back", 0.25, 0.4, 0)
    assert body["timeline_url"].endswith(f"/api/v1/lesions/{body['id']}/timeline/")
    event = AuditEvent.objects.get(action="lesion.create")
    assert event.actor == alice and event.details["map"] == ["back", 0.25, 0.4]


@pytest.mark.parametrize(("payload", "field"), [
    ({"map_view": "back", "map_x": 1.5, "map_y": 0.5}, "map_x"),
    ({"map_view": "back", "map_x": 0.5, "map_y": -0.1}, "map_y"),
    ({"map_view": "moon", "map_x": 0.5, "map_y": 0.5}, "map_view"),
    ({"map_x": 0.5}, "map_view"),  # the figure and both coordinates go together
    ({"body_site": "elsewhere"}, "body_site"),
    ({"laterality": "both"}, "laterality"),
    ({"label": "L\u200b1"}, "label"),
])
def test_bad_lesion_input_is_a_field_error_and_creates_nothing(api, alice, patient, payload, field) -> None:  # noqa: ANN001
    data = {"patient": patient.pk, "body_site": "back", **payload}
    body = assert_error(api(alice).post("/api/v1/lesions/", data, format="json"), 400)
    assert field in body["fields"], body
    assert not Lesion.objects.exists()


def test_another_clinics_patient_is_404_as_a_body_field_and_as_a_filter(api, alice, outsider_patient) -> None:  # noqa: ANN001
    client = api(alice)
    assert_error(client.post("/api/v1/lesions/", {"patient": outsider_patient.pk, "body_site": "back"},
                             format="json"), 404, "not_found")
    assert_error(client.get(f"/api/v1/lesions/?patient={outsider_patient.pk}"), 404)
    assert not Lesion.objects.exists()


def test_the_list_filters_by_patient_and_reviewers_and_auditors_read(api, alice, bob, carol, patient, lesion) -> None:  # noqa: ANN001
    other = Patient.objects.create(organisation=alice.organisation, reference="PT-00043")
    Lesion.objects.create(patient=other, body_site="face")
    for user in (alice, bob, carol):
        rows = api(user).get(f"/api/v1/lesions/?patient={patient.pk}").json()["results"]
        assert [row["id"] for row in rows] == [lesion.pk]
    assert len(api(carol).get("/api/v1/lesions/").json()["results"]) == 2
    for user in (bob, carol):
        assert_error(api(user).post("/api/v1/lesions/", {"patient": patient.pk, "body_site": "back"},
                                    format="json"), 403)
        assert_error(api(user).patch(f"/api/v1/lesions/{lesion.pk}/", {"label": "X"}, format="json"), 403)


def test_an_outsider_gets_404_for_the_lesion_its_edit_and_its_timeline(api, mallory, lesion) -> None:  # noqa: ANN001
    client = api(mallory)
    for path in (f"/api/v1/lesions/{lesion.pk}/", f"/api/v1/lesions/{lesion.pk}/timeline/"):
        assert_error(client.get(path), 404, "not_found")
    assert_error(client.patch(f"/api/v1/lesions/{lesion.pk}/", {"label": "X"}, format="json"), 404)
    assert client.get("/api/v1/lesions/").json()["results"] == []
    assert Lesion.objects.get(pk=lesion.pk).label == "L1"


def test_a_clinician_corrects_and_places_a_lesion_audited(api, alice, lesion) -> None:  # noqa: ANN001
    url = f"/api/v1/lesions/{lesion.pk}/"
    response = api(alice).patch(url, {"laterality": "right", "label": "L1 scapula", "map_view": "back",
                                      "map_x": 0.7, "map_y": 0.3}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["laterality"], body["label"], body["map_view"], body["map_x"]) == ("right", "L1 scapula", "back", 0.7)
    update = AuditEvent.objects.get(action="lesion.update")
    assert update.details["changes"] == {"label": ["L1", "L1 scapula"], "laterality": ["left", "right"]}
    assert AuditEvent.objects.get(action="lesion.place").details["new"] == ["back", 0.7, 0.3]


def test_a_refused_position_keeps_the_rest_of_the_edit_out_too(api, alice, lesion) -> None:  # noqa: ANN001
    url = f"/api/v1/lesions/{lesion.pk}/"
    assert_error(api(alice).patch(url, {"label": "renamed", "map_view": "back", "map_x": 2, "map_y": 0.1},
                                  format="json"), 400)
    lesion.refresh_from_db()
    assert (lesion.label, lesion.map_view) == ("L1", "")
    assert not AuditEvent.objects.filter(action__in=["lesion.update", "lesion.place"]).exists()


def test_the_timeline_lists_every_visit_newest_first_with_findings_but_never_draft_text(
    api, alice, bob, carol, lesion,  # noqa: ANN001
) -> None:
    first = _visit(lesion, alice, days_ago=400, status=CaseStatus.FINAL, photos=2)
    ReviewFactory(case=first, reviewer=bob, management_plan="monitor",
                  follow_up_on=timezone.localdate() + timedelta(days=90), change_since_previous="new")
    second = _visit(lesion, alice, days_ago=30, status=CaseStatus.FINAL)
    ReviewFactory(case=second, reviewer=bob, management_plan="biopsy", change_since_previous="changed",
                  change_aspects=["size", "colour"], summary="Enlarging, now asymmetric.")
    third = _visit(lesion, alice, days_ago=1)

    for user in (alice, bob, carol):
        response = api(user).get(f"/api/v1/lesions/{lesion.pk}/timeline/")
        assert response.status_code == 200, response.content
        assert DRAFT_TEXT not in response.content.decode()
    body = response.json()
    visits = body["visits"]
    assert [v["case_id"] for v in visits] == [third.pk, second.pk, first.pk]
    assert [v["number"] for v in visits] == [3, 2, 1]
    latest, middle, oldest = visits
    assert latest["finding"] is None and latest["plan"] is None and latest["status"] == "awaiting_review"
    assert [p["ai_draft_status"] for p in latest["photos"]] == ["ready"]
    finding = middle["finding"]
    assert (finding["kind"], finding["reviewed"], finding["signed_by"]) == ("signed_finding", True, ["bob"])
    assert finding["label"] == "Reviewer-confirmed finding."
    assert finding["fields"]["summary"] == "Enlarging, now asymmetric."
    assert middle["plan"] == {"management_plan": "biopsy", "follow_up_on": None, "change_since_previous": "changed",
                              "change_aspects": ["size", "colour"]}
    assert oldest["plan"]["management_plan"] == "monitor" and oldest["plan"]["follow_up_on"]
    photos = oldest["photos"]
    assert [p["position"] for p in photos] == [1, 2]
    image_id = photos[0]["id"]
    assert photos[0]["api_file_url"].endswith(f"/api/v1/images/{image_id}/file/")
    assert photos[0]["api_thumbnail_url"].endswith(f"/api/v1/images/{image_id}/thumbnail/")
    assert photos[0]["ai_draft_url"].endswith(f"/api/v1/images/{image_id}/draft/")
    assert AuditEvent.objects.filter(action="lesion.view", details__via="api").count() == 3


def test_the_timeline_answers_in_the_same_number_of_queries_however_many_visits(api, alice, bob, lesion) -> None:  # noqa: ANN001
    client = api(alice)
    url = f"/api/v1/lesions/{lesion.pk}/timeline/"

    def count() -> int:
        client.get(url)  # the token's first use is remembered in the cache: measure a steady state
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    ReviewFactory(case=_visit(lesion, alice, days_ago=300, status=CaseStatus.FINAL), reviewer=bob)
    few = count()
    for days in range(10, 200, 20):
        ReviewFactory(case=_visit(lesion, alice, days_ago=days, status=CaseStatus.FINAL, photos=3), reviewer=bob)
    assert len(json.loads(client.get(url).content)["visits"]) == 11
    assert count() == few


# --- the case endpoints: a case is one visit of one lesion ----------------------------------------------------


def test_a_follow_up_visit_names_its_lesion_and_the_case_shows_both_links(api, alice, lesion) -> None:  # noqa: ANN001
    response = api(alice).post("/api/v1/cases/", {"lesion": lesion.pk, "clinical_notes": "Review at 3 months."},
                               format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["lesion"], body["patient"]) == (lesion.pk, lesion.patient_id)
    assert (body["patient_ref"], body["body_site"], body["lesion_label"]) == ("PT-00042", "back", "L1")
    assert api(alice).get(f"/api/v1/cases/{body['id']}/").json()["lesion"] == lesion.pk


def test_a_new_case_by_reference_finds_or_creates_the_patient_and_lesion(api, alice, lesion) -> None:  # noqa: ANN001
    client = api(alice)
    same = client.post("/api/v1/cases/", {"patient_ref": "PT-00042", "body_site": "back", "lesion_label": "L1"},
                       format="json").json()
    assert (same["patient"], same["lesion"]) == (lesion.patient_id, lesion.pk)
    right = client.post("/api/v1/cases/", {"patient_ref": "PT-00042", "body_site": "back", "lesion_label": "L1",
                                           "laterality": "right"}, format="json").json()
    assert right["patient"] == lesion.patient_id and right["lesion"] != lesion.pk
    assert Lesion.objects.get(pk=right["lesion"]).laterality == "right"


def test_case_creation_refuses_a_foreign_lesion_and_mixed_or_missing_input(api, alice, mallory, lesion) -> None:  # noqa: ANN001
    assert_error(api(mallory).post("/api/v1/cases/", {"lesion": lesion.pk}, format="json"), 404, "not_found")
    mixed = assert_error(api(alice).post("/api/v1/cases/", {"lesion": lesion.pk, "patient_ref": "PT-1"},
                                         format="json"), 400)
    assert "either `lesion`" in mixed["fields"]["patient_ref"][0]
    missing = assert_error(api(alice).post("/api/v1/cases/", {"lesion_label": "L1"}, format="json"), 400)
    assert set(missing["fields"]) == {"patient_ref", "body_site"}
    assert not Case.objects.exists()
