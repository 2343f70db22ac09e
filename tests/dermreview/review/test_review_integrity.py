"""The review page measures rather than nudges: blind-first signing starts from the reviewer's own finding, photos
have one number everywhere, and a fresh form starts from the newest usable photo's draft."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import CaptureType, Case, CaseStatus, LesionImage
from dermreview.drafting.models import FINDING_FIELDS, Draft, DraftStatus
from dermreview.review.models import Review
from dermreview.review.services.ungradable import image_mark_ungradable
from tests import factories
from tests.dermreview.review.review_helpers import MELANOMA, NEVUS, claim, ready_case

pytestmark = pytest.mark.django_db

AI = {
    "lesion_type": "seborrheic keratosis",
    "color": "tan with waxy sheen",
    "symmetry": "roughly symmetric",
    "borders": "sharply demarcated, stuck-on",
    "texture": "verrucous",
    "summary": "AI-SUMMARY-5521 stuck-on waxy papule",
}
MINE = {**NEVUS, "summary": "MY-SUMMARY-7734 my own blind look"}


def _blind_case_with_finding(client, alice, bob) -> Case:  # noqa: ANN001
    case = ready_case(alice, draft=AI, blind_first=True)
    client.force_login(bob)
    client.post(reverse("review:claim", args=[case.pk]))
    assert client.post(reverse("review:blind", args=[case.pk]), MINE).status_code == 302
    return case


def _sign_data(response, **overrides: str) -> dict[str, str]:  # noqa: ANN001
    form = response.context["form"]
    data = {name: form.initial[name] for name in FINDING_FIELDS}
    data.update(draft_id=str(form.initial["draft_id"]), lock_version=str(form.initial["lock_version"]),
                opened=form.initial["opened"], action="sign", attestation="on", **factories.SIGN_PLAN)
    data.update(overrides)
    return data


def test_blind_first_sign_form_starts_from_own_finding_with_the_ai_beside(client, alice, bob):
    case = _blind_case_with_finding(client, alice, bob)
    response = client.get(reverse("review:case", args=[case.pk]))
    form = response.context["form"]
    assert {name: form.initial[name] for name in FINDING_FIELDS} == MINE
    body = response.content.decode()
    # Inputs hold my text; the AI text is shown beside each field, labelled as an unreviewed draft.
    assert 'value="MY-SUMMARY-7734' in body or ">MY-SUMMARY-7734" in body
    assert body.count('class="ai-beside ai-draft"') == 6 and "AI-SUMMARY-5521" in body
    assert body.count(">Use the AI's value</button>") == 6 and body.count(">Use mine</button>") == 6
    assert 'name="taken_from_ai"' in body


def test_taking_one_field_from_the_ai_is_recorded_and_audited(client, alice, bob):
    case = _blind_case_with_finding(client, alice, bob)
    Case.objects.filter(pk=case.pk).update(claimed_at=timezone.now() - timedelta(seconds=60))
    page = client.get(reverse("review:case", args=[case.pk]))
    # lesion_type switched to the AI's value (and confirmed); "color" claimed as taken but my own text is signed.
    data = _sign_data(page, lesion_type=AI["lesion_type"], confirm_lesion_type="on",
                      taken_from_ai="lesion_type,color")
    response = client.post(reverse("review:case", args=[case.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    review = Review.objects.get(case=case)
    assert review.taken_from_ai == ["lesion_type"] and review.lesion_type == AI["lesion_type"]
    event = AuditEvent.objects.get(action="review.sign", object_id=str(review.pk))
    assert event.details["taken_from_ai"] == ["lesion_type"]


def test_a_field_taken_from_the_ai_still_needs_its_confirmation(client, alice, bob):
    case = _blind_case_with_finding(client, alice, bob)
    page = client.get(reverse("review:case", args=[case.pk]))
    data = _sign_data(page, lesion_type=AI["lesion_type"], taken_from_ai="lesion_type")
    response = client.post(reverse("review:case", args=[case.pk]), data)
    assert response.status_code == 400 and not Review.objects.exists()


def test_a_damaged_taken_from_ai_record_is_refused(client, alice, bob):
    case = _blind_case_with_finding(client, alice, bob)
    page = client.get(reverse("review:case", args=[case.pk]))
    response = client.post(reverse("review:case", args=[case.pk]), _sign_data(page, taken_from_ai="lesion_type,x"))
    assert response.status_code == 400 and not Review.objects.exists()


def test_photos_are_numbered_by_position_on_page_draft_line_api_and_new_photo_request(client, alice, bob):
    # Photos of other cases first, so this case's only photo has a large id.
    for _ in range(5):
        factories.LesionImageFactory(case=factories.CaseFactory(organisation=alice.organisation, created_by=alice))
    case = ready_case(alice, draft=AI)
    image = LesionImage.objects.get(case=case)
    assert image.pk > 1
    claim(case, bob)
    client.force_login(bob)
    body = client.get(reverse("review:case", args=[case.pk])).content.decode()
    assert "<strong>Photo 1</strong>" in body and "</code> · photo 1\n" in body
    assert f"Photo {image.pk}<" not in body and f"· photo {image.pk}" not in body
    api = APIClient()
    api.force_authenticate(bob)
    listed = api.get(reverse("api-case-images", args=[case.pk])).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["position"] for row in rows] == [1]
    image_mark_ungradable(image=image, reviewer=bob, reason="Out of focus")
    event = AuditEvent.objects.get(action="case.new_photo_requested")
    assert "Photo 1 (Out of focus)" in event.details["message"] and f"Photo {image.pk}" not in event.details["message"]


def test_draft_line_names_the_photo_position(client, alice, bob):
    case = ready_case(alice, drafts=3)
    claim(case, bob)
    client.force_login(bob)
    body = client.get(reverse("review:case", args=[case.pk])).content.decode()
    # The newest photo's draft is the default; the others are offered by their number.
    assert "<strong>photo 3 (Dermoscopic)</strong>" in body and ">photo 1 (Clinical (overview))</button>" in body
    assert "</code> · photo 3\n" in body


def test_after_ungradable_and_new_upload_the_form_starts_from_the_new_photo(client, alice, bob):
    case = ready_case(alice, draft=NEVUS)
    old = LesionImage.objects.get(case=case)
    LesionImage.objects.filter(pk=old.pk).update(ungradable_at=timezone.now(), ungradable_reason="Blur",
                                                 ungradable_by=bob)
    new = factories.LesionImageFactory(case=case, uploaded_by=alice, capture_type=CaptureType.DERMOSCOPIC)
    LesionImage.objects.filter(pk=new.pk).update(created_at=timezone.now() + timedelta(seconds=5))
    new_draft = factories.DraftFactory(image=new, status=DraftStatus.READY, **MELANOMA)
    claim(case, bob)
    client.force_login(bob)
    response = client.get(reverse("review:case", args=[case.pk]))
    page = response.context["page"]
    assert page.draft.draft_id == new_draft.pk and page.draft.image_position == 2
    assert response.context["form"].initial["lesion_type"] == MELANOMA["lesion_type"]


def test_start_from_another_draft_keeps_typed_edits(client, alice, bob):
    case = ready_case(alice, drafts=2)
    drafts = list(Draft.objects.filter(image__case=case).order_by("image__created_at", "pk"))
    Draft.objects.filter(pk=drafts[0].pk).update(summary="first photo summary")
    claim(case, bob)
    client.force_login(bob)
    page = client.get(reverse("review:case", args=[case.pk], query={"draft": drafts[0].pk}))
    data = _sign_data(page, color="my typed colour")
    data["switch_draft"] = str(drafts[1].pk)
    response = client.post(reverse("review:claim", args=[case.pk]), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["color"].value() == "my typed colour"  # typed: kept
    assert form["summary"].value() == drafts[1].summary  # untouched: the new draft's
    assert response.context["page"].draft.draft_id == drafts[1].pk and form["draft_id"].value() == str(drafts[1].pk)
    body = response.content.decode()
    assert 'name="switch_draft"' in body and "data-unsaved" in body
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_REVIEW
