"""The capture details page and its posts (cases/views/capture_details.py), and where the pages link to it."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import CaptureType, Case, CaseStatus
from tests.factories import LesionImageFactory

pytestmark = pytest.mark.django_db

JSON = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


@pytest.fixture
def photo(alice_case):  # noqa: ANN001, ANN201
    return LesionImageFactory(case=alice_case, capture_type=CaptureType.DERMOSCOPIC, width=400, height=300)


def _url(name: str, image) -> str:  # noqa: ANN001
    return reverse(f"cases:{name}", args=[image.pk])


def test_details_form_sets_dermoscopy_and_framing_and_shows_isic_values(client_for, alice, photo):
    client = client_for(alice)
    response = client.post(_url("capture_details", photo), {"polarised": "yes", "contact": "yes", "framing": "close_up"})
    assert response.status_code == 302 and response.url == _url("capture_details", photo)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Photo 1: capture details saved."]
    page = client.get(_url("capture_details", photo)).content.decode()
    assert '<dd id="isic-dermoscopic-type">contact polarized</dd>' in page
    assert '<dd id="isic-image-type">dermoscopic</dd>' in page
    assert '<option value="yes" selected>Polarised</option>' in page


def test_scale_and_measure_answer_json_for_the_script(client_for, alice, bob, photo):
    response = client_for(alice).post(_url("image_scale", photo), {"method": "ruler", "points": "0,0,200,0",
                                                                   "mm": "10"}, **JSON)
    assert response.status_code == 200 and response.json()["scale_mm_per_px"] == pytest.approx(0.05)
    response = client_for(bob).post(_url("image_measure", photo), {"points": "10,10,10,134"}, **JSON)
    assert response.status_code == 200 and response.json()["measured_label"] == "6.2 mm"
    page = client_for(bob).get(_url("capture_details", photo)).content.decode()
    assert '<span class="human-label">6.2 mm</span>' in page and 'data-measured-points="10.0,10.0,10.0,134.0"' in page
    assert 'id="measure-button"' in page


def test_bad_points_are_refused_with_a_clear_message(client_for, alice, photo):
    response = client_for(alice).post(_url("image_scale", photo), {"method": "ruler", "points": "0,0,900,0",
                                                                   "mm": "10"}, **JSON)
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "invalid", "field": "points",
                                        "message": "A point lies outside the photo (400×300 px)."}
    response = client_for(alice).post(_url("image_scale", photo), {"method": "ruler", "points": "0,0,9,0", "mm": "ten"})
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Enter the mm as a number."]
    assert not AuditEvent.objects.filter(action="image.scale_set").exists()


def test_measuring_before_a_scale_says_to_set_one(client_for, bob, photo):
    response = client_for(bob).post(_url("image_measure", photo), {"points": "1,1,9,9"}, **JSON)
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_scale"


def test_signed_case_refuses_with_409_and_the_page_offers_no_form(client_for, alice, photo):
    Case.objects.filter(pk=photo.case_id).update(status=CaseStatus.FINAL)
    response = client_for(alice).post(_url("capture_details", photo), {"polarised": "no"}, **JSON)
    assert response.status_code == 409 and response.json()["error"]["code"] == "case_signed"
    page = client_for(alice).get(_url("capture_details", photo)).content.decode()
    assert 'id="capture-details-form"' not in page and 'id="scale-form"' not in page
    assert "can no longer change" in page


def test_another_clinic_gets_404_and_an_auditor_403(client_for, mallory, carol, photo):
    for name in ("capture_details", "image_scale", "image_measure"):
        assert client_for(mallory).post(_url(name, photo), {"points": "0,0,5,5", "mm": "1", "method": "ruler"}
                                         ).status_code == 404
    assert client_for(mallory).get(_url("capture_details", photo)).status_code == 404
    assert client_for(carol).post(_url("capture_details", photo), {"framing": "overview"}).status_code == 403
    assert client_for(carol).get(_url("capture_details", photo)).status_code == 200  # auditors may look
    photo.refresh_from_db()
    assert photo.framing == ""


def test_case_page_links_each_photo_to_its_capture_details(client_for, alice, photo):
    page = client_for(alice).get(reverse("cases:detail", args=[photo.case_id])).content.decode()
    assert f'href="{_url("capture_details", photo)}">Capture details and scale of photo 1</a>' in page


def _patch(user, image, body):  # noqa: ANN001, ANN202
    from rest_framework.test import APIRequestFactory, force_authenticate

    from dermreview.api.views.images import ImageViewSet

    request = APIRequestFactory().patch(f"/api/v1/images/{image.pk}/", body, format="json")
    force_authenticate(request, user=user)
    return ImageViewSet.as_view({"patch": "partial_update"})(request, pk=image.pk)


def test_api_shows_and_patches_capture_details_until_signoff(alice, bob, photo):
    response = _patch(alice, photo, {"dermoscopy_polarised": True, "dermoscopy_contact": False,
                                     "scale": {"method": "ruler", "points": [[0, 0], [100, 0]], "mm": 5}})
    assert response.status_code == 200, response.data
    assert response.data["isic"] == {"image_type": "dermoscopic", "dermoscopic_type": "non-contact polarized"}
    assert response.data["scale_mm_per_px"] == pytest.approx(0.05) and response.data["capture_type"] == "dermoscopic"
    response = _patch(bob, photo, {"measured_points": [[0, 0], [0, 120]]})
    assert response.data["measured_diameter_mm"] == pytest.approx(6.0)
    # All or nothing: a bad scale leaves the framing sent with it unsaved.
    response = _patch(alice, photo, {"framing": "overview", "scale": {"method": "ruler", "points": [[0, 0]], "mm": 5}})
    assert response.status_code == 400 and response.data["error"] == "invalid"
    assert response.data["fields"] == {"points": ["Mark exactly two points on the photo."]}
    photo.refresh_from_db()
    assert photo.framing == ""
    Case.objects.filter(pk=photo.case_id).update(status=CaseStatus.FINAL)
    assert _patch(alice, photo, {"framing": "overview"}).status_code == 409
