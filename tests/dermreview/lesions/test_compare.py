"""Two visits of one lesion side by side (`/patients/lesions/<id>/compare/`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import CaptureType, CaseStatus
from tests.dermreview.lesions.patient_helpers import lesion_of, patient_of, signed_visit, visit
from tests.factories import SAMPLE_FINDING, LesionImageFactory

pytestmark = pytest.mark.django_db


def _url(lesion: Any, **query: Any) -> str:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return reverse("lesions:compare", args=[lesion.pk]) + (f"?{suffix}" if suffix else "")


@pytest.fixture
def visits(alice, bob):  # noqa: ANN001, ANN201 - a lesion with three visits, each with a photo; two signed
    lesion = lesion_of(patient_of(alice), label="L1 left shoulder")
    oldest = signed_visit(lesion, alice, bob, days_ago=400)
    middle = signed_visit(lesion, alice, bob, plan="monitor", days_ago=200)
    newest = visit(lesion, alice, days_ago=1)
    for case in (oldest, middle, newest):
        LesionImageFactory(case=case, uploaded_by=alice)
    return lesion, oldest, middle, newest


def test_compare_defaults_to_the_two_newest_visits_with_their_signed_findings(client_for, alice, visits):
    lesion, _oldest, middle, newest = visits
    response = client_for(alice).get(_url(lesion))
    assert response.status_code == 200
    page = response.context["page"]
    assert (page.a.visit.case_id, page.b.visit.case_id) == (middle.pk, newest.pk)
    html = response.content.decode()
    assert html.count('class="compare-frame"') == 2 and 'id="overlay-opacity"' in html
    assert reverse("cases:image_display", args=[page.a.photo.image_id]) in html
    assert SAMPLE_FINDING["summary"] in html and "Monitor: follow-up visit" in html  # middle's finding and plan
    assert "Not signed yet (awaiting review)" in html  # newest
    assert "human-label" in html and "ai-label" not in html


def test_compare_any_two_visits_and_pick_photos(client_for, alice, visits):
    lesion, oldest, middle, _newest = visits
    second = LesionImageFactory(case=middle, uploaded_by=alice, capture_type=CaptureType.DERMOSCOPIC)
    response = client_for(alice).get(_url(lesion, a=oldest.pk, b=middle.pk, pb=second.pk))
    page = response.context["page"]
    assert (page.a.visit.case_id, page.b.visit.case_id, page.b.photo.image_id) == (oldest.pk, middle.pk, second.pk)
    assert 'id="pick-pb"' in response.content.decode()  # several photos: a photo picker
    # A photo that is not the visit's own falls back to the visit's default photo.
    other = client_for(alice).get(_url(lesion, a=oldest.pk, b=middle.pk, pb=page.a.photo.image_id))
    assert other.context["page"].b.photo.image_id != page.a.photo.image_id


def test_compare_records_a_view_event(client_for, alice, visits):
    lesion, _oldest, middle, newest = visits
    client_for(alice).get(_url(lesion))
    event = AuditEvent.objects.get(action="lesion.compare")
    assert event.actor == alice and event.case_id == newest.pk
    assert event.details["case_ids"] == [middle.pk, newest.pk] and len(event.details["image_ids"]) == 2


def test_compare_of_a_visit_of_another_lesion_or_clinic_is_404(client_for, alice, mallory, visits):
    lesion, oldest, _middle, newest = visits
    stranger = visit(lesion_of(patient_of(alice, "PT-OTHER"), label="L9"), alice)
    client = client_for(alice)
    assert client.get(_url(lesion, a=stranger.pk)).status_code == 404
    assert client.get(_url(lesion, b="nonsense")).status_code == 404
    outsider = client_for(mallory)
    assert outsider.get(_url(lesion)).status_code == 404
    assert outsider.get(_url(lesion, a=oldest.pk, b=newest.pk)).status_code == 404
    assert not AuditEvent.objects.filter(action="lesion.compare").exists()


def test_compare_with_a_single_visit_says_so(client_for, alice):
    lesion = lesion_of(patient_of(alice))
    visit(lesion, alice, status=CaseStatus.NEW)
    response = client_for(alice).get(_url(lesion))
    assert response.status_code == 200 and 'id="single-visit"' in response.content.decode()


def test_compare_reads_a_fixed_number_of_queries(client_for, alice, bob, visits):
    lesion = visits[0]
    client = client_for(alice)
    client.get(_url(lesion))
    with CaptureQueriesContext(connection) as few:
        client.get(_url(lesion))
    for days in range(2, 12):
        signed_visit(lesion, alice, bob, days_ago=days)
    with CaptureQueriesContext(connection) as many:
        client.get(_url(lesion))
    assert len(many) == len(few)
