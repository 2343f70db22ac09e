from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIRequestFactory, force_authenticate

from dermreview.api.views.images import ImageViewSet
from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case, CaseStatus
from dermreview.cases.services.case import case_editable
from dermreview.cases.services.image_capture import capture_type_editable
from tests.factories import CaseFactory, LesionImageFactory

pytestmark = pytest.mark.django_db

JSON = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def _post(client, image, capture_type, **headers):  # noqa: ANN001, ANN003, ANN202
    url = reverse("cases:image_capture_type", args=[image.pk])
    return client.post(url, {"capture_type": capture_type}, **headers)


def _patch_api(user, image, body):  # noqa: ANN001, ANN202
    request = APIRequestFactory().patch(f"/api/v1/images/{image.pk}/", body, format="json")
    force_authenticate(request, user=user)
    return ImageViewSet.as_view({"patch": "partial_update"})(request, pk=image.pk)


def _sign(case: Case, status: str) -> None:
    Case.objects.filter(pk=case.pk).update(status=status)


def test_capture_type_change_before_signoff_is_stored_and_audited_with_old_and_new(client_for, alice, alice_image):
    _sign(alice_image.case, CaseStatus.AWAITING_REVIEW)
    response = _post(client_for(alice), alice_image, "dermoscopic", **JSON)
    assert response.status_code == 200 and response.json()["capture_type"] == "dermoscopic"
    alice_image.refresh_from_db()
    assert alice_image.capture_type == "dermoscopic"
    event = AuditEvent.objects.get(action="image.capture_type_update")
    assert event.details == {"old": "clinical", "new": "dermoscopic"}
    assert event.actor == alice and event.case_id == alice_image.case_id
    assert event.organisation_id == alice.organisation_id


def test_capture_type_plain_form_post_redirects_to_case_page(client_for, alice, alice_image):
    response = _post(client_for(alice), alice_image, "dermoscopic")
    assert response.status_code == 302 and response.url == reverse("cases:detail", args=[alice_image.case_id])


@pytest.mark.parametrize("status", [CaseStatus.FINAL, CaseStatus.NEEDS_SECOND_REVIEW, CaseStatus.NEEDS_ADJUDICATION])
def test_capture_type_change_refused_once_the_case_is_signed(client_for, alice, alice_image, status):
    _sign(alice_image.case, status)
    response = _post(client_for(alice), alice_image, "dermoscopic", **JSON)
    assert response.status_code == 409 and response.json()["error"]["code"] == "case_signed"
    alice_image.refresh_from_db()
    assert alice_image.capture_type == "clinical"
    assert not AuditEvent.objects.filter(action="image.capture_type_update").exists()


def test_capture_type_unknown_value_is_refused(client_for, alice, alice_image):
    response = _post(client_for(alice), alice_image, "x-ray", **JSON)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_capture_type"


def test_capture_type_outsider_gets_404_and_auditor_403(client_for, alice_image, mallory, carol):
    assert _post(client_for(mallory), alice_image, "dermoscopic").status_code == 404
    assert _post(client_for(carol), alice_image, "dermoscopic").status_code == 403
    alice_image.refresh_from_db()
    assert alice_image.capture_type == "clinical"


def test_case_page_offers_capture_select_until_signoff(client_for, alice, alice_image):
    _sign(alice_image.case, CaseStatus.AWAITING_REVIEW)
    page = client_for(alice).get(reverse("cases:detail", args=[alice_image.case_id])).content.decode()
    assert f'id="capture-{alice_image.pk}"' in page
    _sign(alice_image.case, CaseStatus.FINAL)
    page = client_for(alice).get(reverse("cases:detail", args=[alice_image.case_id])).content.decode()
    assert f'id="capture-{alice_image.pk}"' not in page


def test_api_patch_changes_capture_type_until_signoff(alice, bob, alice_image):
    _sign(alice_image.case, CaseStatus.AWAITING_REVIEW)
    response = _patch_api(bob, alice_image, {"capture_type": "dermoscopic"})
    assert response.status_code == 200 and response.data["capture_type"] == "dermoscopic"
    assert AuditEvent.objects.get(action="image.capture_type_update").details == {
        "old": "clinical", "new": "dermoscopic"}
    _sign(alice_image.case, CaseStatus.FINAL)
    assert _patch_api(alice, alice_image, {"capture_type": "clinical"}).status_code == 409
    alice_image.refresh_from_db()
    assert alice_image.capture_type == "dermoscopic"


def test_grid_fragment_carries_the_fresh_finding_box(client_for, alice, alice_image):
    _sign(alice_image.case, CaseStatus.AWAITING_REVIEW)
    content = client_for(alice).get(reverse("cases:image_grid", args=[alice_image.case_id])).content.decode()
    assert 'id="image-grid"' in content and 'id="case-finding"' in content
    assert "waiting for a reviewer" in content


def test_capture_type_and_case_details_lock_in_the_same_statuses(alice, alice_case):
    """A finding has been signed from `needs_second_review` on (two disagreeing ones await adjudication): the case's
    details and its photos' capture types are both part of what was signed, so both are fixed in exactly those."""
    signed = {CaseStatus.NEEDS_SECOND_REVIEW, CaseStatus.NEEDS_ADJUDICATION, CaseStatus.FINAL}
    for status in CaseStatus.values:
        alice_case.status = status
        assert capture_type_editable(user=alice, case=alice_case) is (status not in signed), status
        assert case_editable(alice_case) is (status not in signed), status


def test_case_page_offers_no_capture_select_while_the_case_awaits_adjudication(client_for, alice, alice_image):
    _sign(alice_image.case, CaseStatus.NEEDS_ADJUDICATION)
    page = client_for(alice).get(reverse("cases:detail", args=[alice_image.case_id])).content.decode()
    assert f'id="capture-{alice_image.pk}"' not in page


def test_capture_type_confirmation_names_the_photo_by_its_number_on_the_case(client_for, alice):
    earlier = CaseFactory(organisation=alice.organisation, created_by=alice)
    LesionImageFactory.create_batch(3, case=earlier)  # photos of another case: higher ids, not higher numbers
    case = CaseFactory(organisation=alice.organisation, created_by=alice)
    first, second = LesionImageFactory.create_batch(2, case=case)
    response = _post(client_for(alice), second, "dermoscopic")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Photo 2: capture type set to Dermoscopic."]
    assert second.pk != 2 and first.pk < second.pk
