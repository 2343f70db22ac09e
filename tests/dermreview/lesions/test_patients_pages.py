"""The patient list and page, their forms (details, new lesion, map position), the new-visit form of a lesion and
the case page's links: who may do what, what bad input does, and 404 for another clinic."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case, Lesion, Patient
from tests.dermreview.lesions.patient_helpers import lesion_of, patient_of, visit
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_patient_list_searches_by_reference_within_the_clinic(client: Any, alice: Any, mallory: Any) -> None:
    patient_of(alice, "RIV-0001")
    patient_of(alice, "RIV-0002")
    patient_of(mallory, "RIV-0003")  # same-looking reference, other clinic
    client.force_login(alice)
    html = client.get(reverse("lesions:patients"), {"q": "0002"}).content.decode()
    assert "RIV-0002" in html and "RIV-0001" not in html
    html = client.get(reverse("lesions:patients")).content.decode()
    assert "RIV-0001" in html and "RIV-0003" not in html
    assert 'href="/patients/">Patients</a>' in html  # the nav link


def test_patient_page_shows_the_body_map_with_markers_and_the_lesion_list(client: Any, alice: Any) -> None:
    patient = patient_of(alice)
    lesion = lesion_of(patient, label="L1 shoulder", map_view="front", map_x=0.25, map_y=0.5)
    visit(lesion, alice)
    client.force_login(alice)
    response = client.get(reverse("lesions:patient", args=[patient.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'src="/static/js/body-map.js"' in html and "static/img/body-map/front.svg" in html
    assert 'transform="translate(60.0 240.0)"' in html  # 0.25 and 0.5 of the 240 x 480 figure
    assert 'aria-label="L1 L1 shoulder: Awaiting review"' in html
    assert f'href="/patients/lesions/{lesion.pk}/"' in html
    assert f'href="/cases/new/?lesion={lesion.pk}"' in html
    assert AuditEvent.objects.filter(action="patient.view", object_id=str(patient.pk)).exists()


def test_reviewer_sees_the_page_without_the_editing_forms(client: Any, alice: Any, bob: Any) -> None:
    patient = patient_of(alice)
    client.force_login(bob)
    html = client.get(reverse("lesions:patient", args=[patient.pk])).content.decode()
    assert 'id="lesion-form"' not in html and 'id="patient-edit"' not in html and "body-map.js" not in html
    assert 'data-mode="view"' in html


@pytest.mark.parametrize(("name", "method"), [
    ("lesions:patient", "get"), ("lesions:patient_edit", "post"), ("lesions:lesion_new", "post"),
])
def test_another_clinics_user_gets_404_for_patient_pages(client: Any, alice: Any, mallory: Any, name: str,
                                                          method: str) -> None:
    patient = patient_of(alice)
    client.force_login(mallory)
    data = {"fitzpatrick_type": "II", "lesion-body_site": "back", "lesion-laterality": "left"}
    response = getattr(client, method)(reverse(name, args=[patient.pk]), data)
    assert response.status_code == 404
    assert not Lesion.objects.exists() and Patient.objects.get().fitzpatrick_type == ""


def test_clinician_edits_the_patients_details(client: Any, alice: Any) -> None:
    patient = patient_of(alice)
    client.force_login(alice)
    response = client.post(reverse("lesions:patient_edit", args=[patient.pk]),
                           {"birth_year": "1958", "sex": "male", "fitzpatrick_type": "V"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.birth_year, patient.sex, patient.fitzpatrick_type) == (1958, "male", "V")
    html = client.get(response.url).content.decode()
    assert "V (very rarely burns, tans very easily)" in html


def test_bad_details_are_shown_on_the_form_and_change_nothing(client: Any, alice: Any) -> None:
    patient = patient_of(alice)
    client.force_login(alice)
    response = client.post(reverse("lesions:patient_edit", args=[patient.pk]),
                           {"birth_year": "3000", "fitzpatrick_type": "IX"})
    assert response.status_code == 400
    assert Patient.objects.get(pk=patient.pk).birth_year is None
    assert "IX is not one of the available choices" in response.content.decode()


def test_reviewer_may_not_edit_details(client: Any, alice: Any, bob: Any) -> None:
    patient = patient_of(alice)
    client.force_login(bob)
    response = client.post(reverse("lesions:patient_edit", args=[patient.pk]), {"fitzpatrick_type": "II"})
    assert response.status_code == 403
    assert Patient.objects.get(pk=patient.pk).fitzpatrick_type == ""


def test_clinician_adds_a_lesion_at_a_map_position(client: Any, alice: Any) -> None:
    patient = patient_of(alice)
    client.force_login(alice)
    response = client.post(reverse("lesions:lesion_new", args=[patient.pk]), {
        "lesion-body_site": "scalp", "lesion-laterality": "midline", "lesion-label": "crown",
        "lesion-view": "head", "lesion-x": "0.5", "lesion-y": "0.2"})
    assert response.status_code == 302 and response.url.endswith("?view=head#body-map")
    lesion = Lesion.objects.get()
    assert (lesion.patient_id, lesion.label, lesion.map_view, lesion.map_x, lesion.map_y) == (
        patient.pk, "crown", "head", 0.5, 0.2)


@pytest.mark.parametrize("data", [
    {"lesion-view": "front", "lesion-x": "1.5", "lesion-y": "0.2"},
    {"lesion-view": "front", "lesion-x": "0.5"},
    {"lesion-view": "", "lesion-x": "0.5", "lesion-y": "0.5"},
    {"lesion-body_site": "kneecap"},
])
def test_a_lesion_with_bad_input_is_not_created(client: Any, alice: Any, data: dict[str, str]) -> None:
    patient = patient_of(alice)
    client.force_login(alice)
    response = client.post(reverse("lesions:lesion_new", args=[patient.pk]),
                           {"lesion-body_site": "back", "lesion-laterality": "left", **data})
    assert response.status_code == 400
    assert not Lesion.objects.exists()
    assert 'class="error"' in response.content.decode()


def test_clinician_moves_a_lesion_on_the_map(client: Any, alice: Any) -> None:
    lesion = lesion_of(patient_of(alice), map_view="front", map_x=0.1, map_y=0.1)
    client.force_login(alice)
    page = client.get(reverse("lesions:patient", args=[lesion.patient_id]), {"move": lesion.pk}).content.decode()
    assert f'action="/patients/lesions/{lesion.pk}/place/"' in page and 'data-mode="move"' in page
    response = client.post(reverse("lesions:lesion_place", args=[lesion.pk]),
                           {"place-view": "back", "place-x": "0.4", "place-y": "0.6"})
    assert response.status_code == 302 and response.url.endswith("?view=back#body-map")
    lesion.refresh_from_db()
    assert (lesion.map_view, lesion.map_x, lesion.map_y) == ("back", 0.4, 0.6)


@pytest.mark.parametrize("data", [
    {"place-view": "back", "place-x": "-0.1", "place-y": "0.6"},
    {"place-view": "back", "place-x": "0.4"},
    {"place-view": "legs", "place-x": "0.4", "place-y": "0.6"},
])
def test_a_move_off_the_figure_is_refused(client: Any, alice: Any, data: dict[str, str]) -> None:
    lesion = lesion_of(patient_of(alice), map_view="front", map_x=0.1, map_y=0.1)
    client.force_login(alice)
    response = client.post(reverse("lesions:lesion_place", args=[lesion.pk]), data)
    assert response.status_code == 400
    fresh = Lesion.objects.get(pk=lesion.pk)
    assert (fresh.map_view, fresh.map_x, fresh.map_y) == ("front", 0.1, 0.1)


@pytest.mark.parametrize(("persona", "status"), [("mallory", 404), ("bob", 403)])
def test_only_the_clinics_clinicians_move_lesions(client: Any, request: Any, alice: Any, persona: str,
                                                   status: int) -> None:
    lesion = lesion_of(patient_of(alice))
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("lesions:lesion_place", args=[lesion.pk]),
                           {"place-view": "back", "place-x": "0.4", "place-y": "0.6"})
    assert response.status_code == status
    assert Lesion.objects.get(pk=lesion.pk).map_view == ""


def test_new_visit_of_a_lesion_opens_a_case_of_that_lesion(client: Any, alice: Any) -> None:
    lesion = lesion_of(patient_of(alice), label="L7", body_site="thigh", laterality="right")
    first = visit(lesion, alice, days_ago=100)
    client.force_login(alice)
    url = reverse("cases:new") + f"?lesion={lesion.pk}"
    form = client.get(url).content.decode()
    assert 'id="visit-of-lesion"' in form and 'name="patient_ref"' not in form
    response = client.post(url, {"clinical_notes": "Three-month check."})
    assert response.status_code == 302
    case = Case.objects.exclude(pk=first.pk).get()
    assert (case.lesion_id, case.patient_id, case.patient_ref, case.body_site, case.lesion_label) == (
        lesion.pk, lesion.patient_id, "PT-MAP-1", "thigh", "L7")


def test_new_visit_of_another_clinics_lesion_is_404(client: Any, alice: Any, mallory: Any) -> None:
    lesion = lesion_of(patient_of(alice))
    client.force_login(mallory)
    url = reverse("cases:new") + f"?lesion={lesion.pk}"
    assert client.get(url).status_code == 404
    assert client.post(url, {"clinical_notes": "x"}).status_code == 404
    assert not Case.objects.exists()
    client.force_login(alice)
    assert client.get(reverse("cases:new") + "?lesion=not-a-number").status_code == 404


def test_new_case_without_a_lesion_records_the_side_on_its_new_lesion(client: Any, alice: Any) -> None:
    client.force_login(alice)
    response = client.post(reverse("cases:new"), {"patient_ref": "PT-NEW-1", "body_site": "forearm",
                                                  "laterality": "left", "lesion_label": "F1"})
    assert response.status_code == 302
    lesion = Case.objects.get().lesion
    assert (lesion.laterality, lesion.body_site, lesion.label) == ("left", "forearm", "F1")


def test_case_page_links_to_the_lesions_timeline_and_the_patient(client: Any, alice: Any) -> None:
    lesion = lesion_of(patient_of(alice), label="L3")
    case = visit(lesion, alice)
    unlinked = CaseFactory(organisation=alice.organisation, created_by=alice)
    client.force_login(alice)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'href="/patients/lesions/{lesion.pk}/" id="lesion-timeline-link"' in html
    assert f'href="/patients/{lesion.patient_id}/" id="patient-page-link"' in html
    assert 'id="case-lesion-links"' not in client.get(reverse("cases:detail", args=[unlinked.pk])).content.decode()
