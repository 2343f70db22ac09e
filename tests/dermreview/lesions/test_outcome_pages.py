"""The outcome page of a lesion (lesions/views/outcomes.py) and its partial (lesions/_outcome.html)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import BodySite, DiagnosisClass, Lesion, LesionOutcome, Patient
from dermreview.lesions.selectors.outcomes import current_outcomes, lesion_outcomes

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesion(clinic):  # noqa: ANN001, ANN201
    patient = Patient.objects.create(organisation=clinic, reference="PT-OUTCOME")
    return Lesion.objects.create(patient=patient, body_site=BodySite.BACK, laterality="left", label="L1")


@pytest.fixture
def melanoma(db):  # noqa: ANN001, ANN201
    return DiagnosisClass.objects.filter(organisation__isnull=True, high_risk=True, active=True).first()


def _url(lesion, *rest) -> str:  # noqa: ANN001, ANN002
    return reverse("lesions:outcome_void" if rest else "lesions:outcome", args=[lesion.pk, *rest])


def _form(diagnosis, **overrides) -> dict[str, object]:  # noqa: ANN001
    return {"diagnosis_class": diagnosis.pk, "diagnosed_on": "2026-11-20", "confirm_type": "histopathology",
            "lab_reference": "HP-26-0412", "notes": "", **overrides}


def test_record_then_the_page_shows_the_human_labelled_outcome(client_for, alice, lesion, melanoma):
    client = client_for(alice)
    page = client.get(_url(lesion)).content.decode()
    assert 'id="outcome-form"' in page and "No outcome recorded yet." in page
    response = client.post(_url(lesion), _form(melanoma))
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Outcome recorded."]
    page = client.get(_url(lesion)).content.decode()
    assert '<span class="human-label">Outcome (histopathology, 2026-11-20, lab ref HP-26-0412)</span>' in page
    assert melanoma.name in page and 'id="outcome-form"' not in page and 'id="outcome-void-form"' in page


def test_a_future_date_is_shown_beside_the_field_and_nothing_recorded(client_for, bob, lesion, melanoma):
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    response = client_for(bob).post(_url(lesion), _form(melanoma, diagnosed_on=tomorrow))
    assert response.status_code == 400
    assert "The date of the diagnosis cannot be in the future." in response.content.decode()
    assert not LesionOutcome.objects.exists()


def test_correction_voids_with_a_reason_then_records_anew(client_for, alice, bob, lesion, melanoma):
    client_for(alice).post(_url(lesion), _form(melanoma))
    first = LesionOutcome.objects.get()
    response = client_for(bob).post(_url(lesion, first.pk), {"reason": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = client_for(bob).post(_url(lesion, first.pk), {"reason": "Report was for another lesion."})
    assert response.status_code == 302
    benign = DiagnosisClass.objects.filter(organisation__isnull=True, high_risk=False, active=True).first()
    client_for(bob).post(_url(lesion), _form(benign, lab_reference="HP-26-0999"))
    page = client_for(alice).get(_url(lesion)).content.decode()
    assert "lab ref HP-26-0999" in page and "Report was for another lesion." in page
    assert [o.diagnosis for o in lesion_outcomes(lesion=lesion)] == [benign.name, melanoma.name]
    assert current_outcomes([lesion.pk])[lesion.pk].diagnosis == benign.name
    assert list(AuditEvent.objects.filter(action__startswith="lesion.outcome").values_list("action", flat=True)
                .order_by("pk")) == ["lesion.outcome_record", "lesion.outcome_void", "lesion.outcome_record"]


def test_another_clinic_gets_404_and_an_auditor_sees_no_form(client_for, alice, mallory, carol, lesion, melanoma):
    assert client_for(mallory).get(_url(lesion)).status_code == 404
    assert client_for(mallory).post(_url(lesion), _form(melanoma)).status_code == 404
    client_for(alice).post(_url(lesion), _form(melanoma))
    outcome = LesionOutcome.objects.get()
    assert client_for(mallory).post(_url(lesion, outcome.pk), {"reason": "x"}).status_code == 404
    page = client_for(carol).get(_url(lesion)).content.decode()
    assert "Outcome (histopathology" in page and "outcome-void-form" not in page
    assert client_for(carol).post(_url(lesion, outcome.pk), {"reason": "x"}).status_code == 403
    outcome.refresh_from_db()
    assert outcome.voided_at is None


def test_partial_renders_the_current_outcome_or_none(alice, lesion, melanoma, client_for):
    assert "No outcome recorded yet." in render_to_string("lesions/_outcome.html", {"outcome": None, "lesion": lesion})
    client_for(alice).post(_url(lesion), _form(melanoma, lab_reference=""))
    html = render_to_string("lesions/_outcome.html", {"outcome": current_outcomes([lesion.pk])[lesion.pk],
                                                      "lesion": lesion})
    assert "Outcome (histopathology, 2026-11-20)</span>" in html and "Correct the outcome" in html


def test_the_case_page_of_a_visit_shows_its_lesions_outcome(client_for, alice, lesion, melanoma):
    from tests.factories import CaseFactory

    case = CaseFactory(organisation=lesion.patient.organisation, created_by=alice, lesion=lesion,
                       patient=lesion.patient, patient_ref=lesion.patient.reference, body_site=lesion.body_site)
    client = client_for(alice)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "No outcome recorded yet." in page and "Record the outcome" in page
    assert client.post(_url(lesion), _form(melanoma)).status_code == 302
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Outcome (histopathology, 2026-11-20, lab ref HP-26-0412)" in page and melanoma.name in page
