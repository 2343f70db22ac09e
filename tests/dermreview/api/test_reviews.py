"""Drafts and the review commands over the API: the browser's rules (labelling, blind-first, dual review, locks)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import CaseStatus
from dermreview.drafting.models import FINDING_FIELDS, DraftStatus
from dermreview.review.models import BlindFinding, Review
from tests.dermreview.api.conftest import assert_error
from tests.factories import SAMPLE_FINDING, CaseFactory

pytestmark = pytest.mark.django_db


def _sign_body(case: Any, draft: dict[str, Any] | None, **overrides: Any) -> dict[str, Any]:
    fields = dict(draft["fields"]) if draft and draft["fields"] else dict(SAMPLE_FINDING)
    body = {
        "fields": fields,
        "confirmed_fields": list(FINDING_FIELDS),
        "draft_id": draft["draft_id"] if draft else None,
        "opened_at": (timezone.now() - timedelta(seconds=45)).isoformat(),
        "expected_lock_version": case.lock_version,
        "attestation": True,
    }
    return {**body, **overrides}


def _draft(client, case) -> dict[str, Any]:  # noqa: ANN001
    image = case.images.get()
    response = client.get(f"/api/v1/images/{image.pk}/draft/")
    assert response.status_code == 200
    return response.json()


def test_draft_is_always_labelled_and_withheld_from_clinicians(api, alice, bob, reviewable_case) -> None:  # noqa: ANN001
    shown = _draft(api(bob), reviewable_case)
    assert (shown["kind"], shown["reviewed"], shown["status"]) == ("ai_draft", False, "ready")
    assert shown["fields"] == SAMPLE_FINDING and shown["fields_shown"] is True
    assert shown["model_id"] == "0xAgamy/unsloth_Qwen3vl_finetune" and shown["prompt_version"] == "test-1"
    assert shown["timings"]["attempts"] == 0
    assert AuditEvent.objects.filter(action="draft.view", actor=bob).count() == 1

    hidden = _draft(api(alice), reviewable_case)
    assert (hidden["kind"], hidden["reviewed"], hidden["status"]) == ("ai_draft", False, "ready")
    assert hidden["fields"] is None and hidden["withheld_reason"] == "role"


def test_draft_status_while_pending_and_when_none_exists(api, bob, alice, image_factory, draft_factory) -> None:  # noqa: ANN001
    case = CaseFactory(organisation=alice.organisation, created_by=alice, status=CaseStatus.AWAITING_REVIEW)
    queued = image_factory(case=case, uploaded_by=alice)
    draft_factory(image=queued, status=DraftStatus.QUEUED, lesion_type="", summary="")
    bare = image_factory(case=case, uploaded_by=alice)
    client = api(bob)
    pending = client.get(f"/api/v1/images/{queued.pk}/draft/").json()
    assert (pending["status"], pending["pending"], pending["fields"]) == ("queued", True, None)
    none = client.get(f"/api/v1/images/{bare.pk}/draft/").json()
    assert (none["status"], none["draft_id"], none["kind"], none["reviewed"]) == ("none", None, "ai_draft", False)


def test_blind_first_draft_is_withheld_until_the_reviewers_own_finding(api, alice, bob, carol, reviewable_case) -> None:  # noqa: ANN001
    reviewable_case.blind_first = True
    reviewable_case.save()
    client = api(bob)
    withheld = _draft(client, reviewable_case)
    assert withheld["fields"] is None and withheld["withheld_reason"] == "blind_entry_required"
    assert _draft(api(carol), reviewable_case)["fields"] == SAMPLE_FINDING  # auditors cannot be biased into a sign-off

    early = client.post(f"/api/v1/cases/{reviewable_case.pk}/sign/", _sign_body(reviewable_case, None), format="json")
    assert_error(early, 409, "blind_entry_required")

    own = {**SAMPLE_FINDING, "lesion_type": "dermatofibroma"}
    recorded = client.post(f"/api/v1/cases/{reviewable_case.pk}/blind-finding/", {"fields": own}, format="json")
    assert recorded.status_code == 201, recorded.content
    assert recorded.json()["kind"] == "blind_finding" and recorded.json()["fields"] == own
    assert BlindFinding.objects.get(case=reviewable_case, reviewer=bob).lesion_type == "dermatofibroma"
    assert _draft(client, reviewable_case)["fields"] == SAMPLE_FINDING
    again = client.post(f"/api/v1/cases/{reviewable_case.pk}/blind-finding/", {"fields": own}, format="json")
    assert_error(again, 409, "invalid_state")


def test_reviewer_claims_signs_and_the_case_becomes_final(api, bob, dave, reviewable_case) -> None:  # noqa: ANN001
    client = api(bob)
    claimed = client.post(f"/api/v1/cases/{reviewable_case.pk}/claim/")
    assert claimed.status_code == 200 and claimed.json()["claimed_by"] == "bob"
    conflict = assert_error(api(dave).post(f"/api/v1/cases/{reviewable_case.pk}/claim/"), 409, "conflict")
    assert conflict["current_lock_version"] == 0

    draft = _draft(client, reviewable_case)
    signed = client.post(f"/api/v1/cases/{reviewable_case.pk}/sign/", _sign_body(reviewable_case, draft),
                         format="json")
    assert signed.status_code == 201, signed.content
    review = signed.json()
    assert (review["kind"], review["reviewed"], review["outcome"], review["reviewer"]) == (
        "signed_finding", True, "accepted", "bob")
    assert review["ai_draft"]["kind"] == "ai_draft" and review["ai_draft"]["reviewed"] is False
    assert review["ai_draft"]["fields"] == SAMPLE_FINDING
    reviewable_case.refresh_from_db()
    assert (reviewable_case.status, reviewable_case.lock_version) == (CaseStatus.FINAL, 1)
    listed = client.get(f"/api/v1/cases/{reviewable_case.pk}/reviews/").json()
    assert [r["id"] for r in listed] == [review["id"]]
    again = client.post(f"/api/v1/cases/{reviewable_case.pk}/sign/",
                        _sign_body(reviewable_case, draft), format="json")
    assert_error(again, 409, "invalid_state")


def test_sign_with_a_stale_lock_version_is_a_409_that_writes_nothing(api, bob, reviewable_case) -> None:  # noqa: ANN001
    client = api(bob)
    body = _sign_body(reviewable_case, _draft(client, reviewable_case), expected_lock_version=7)
    error = assert_error(client.post(f"/api/v1/cases/{reviewable_case.pk}/sign/", body, format="json"), 409,
                         "conflict")
    assert error["current_lock_version"] == 0
    assert not Review.objects.exists()


def test_sign_requires_each_unchanged_field_to_be_confirmed(api, bob, reviewable_case) -> None:  # noqa: ANN001
    client = api(bob)
    body = _sign_body(reviewable_case, _draft(client, reviewable_case), confirmed_fields=["color"],
                      attestation=False)
    error = assert_error(client.post(f"/api/v1/cases/{reviewable_case.pk}/sign/", body, format="json"), 400)
    assert "fields.lesion_type" in error["fields"] and "fields.color" not in error["fields"]
    assert "attestation" in error["fields"]
    assert not Review.objects.exists()


def test_sign_with_another_clinics_draft_names_the_field(api, bob, reviewable_case, draft_factory) -> None:  # noqa: ANN001
    foreign = draft_factory()
    body = _sign_body(reviewable_case, None, draft_id=foreign.pk)
    error = assert_error(api(bob).post(f"/api/v1/cases/{reviewable_case.pk}/sign/", body, format="json"), 400)
    assert list(error["fields"]) == ["draft_id"]


def test_high_risk_finding_needs_a_second_different_reviewer(api, bob, dave, reviewable_case) -> None:  # noqa: ANN001
    bob_client = api(bob)
    draft = _draft(bob_client, reviewable_case)
    fields = {**draft["fields"], "lesion_type": "superficial spreading melanoma"}
    first = bob_client.post(f"/api/v1/cases/{reviewable_case.pk}/sign/",
                            _sign_body(reviewable_case, draft, fields=fields), format="json")
    assert first.status_code == 201, first.content
    reviewable_case.refresh_from_db()
    assert reviewable_case.status == CaseStatus.NEEDS_SECOND_REVIEW

    same = bob_client.post(f"/api/v1/cases/{reviewable_case.pk}/sign/",
                           _sign_body(reviewable_case, draft, fields=fields), format="json")
    assert_error(same, 409, "same_reviewer")  # the state rules it out: 409, as the review page answers
    second = api(dave).post(f"/api/v1/cases/{reviewable_case.pk}/sign/",
                            _sign_body(reviewable_case, draft, fields=fields), format="json")
    assert second.status_code == 201, second.content
    assert second.json()["round"] == 2
    reviewable_case.refresh_from_db()
    assert reviewable_case.status == CaseStatus.FINAL


def test_amendment_voids_the_old_sign_off_and_keeps_it_listed(api, bob, final_case) -> None:  # noqa: ANN001
    old = final_case.reviews.get()
    body = {"fields": {**SAMPLE_FINDING, "summary": "Benign keratosis on dermoscopy; no follow-up needed."},
            "reason": "Dermoscopy reviewed again.", "opened_at": timezone.now().isoformat(),
            "expected_lock_version": final_case.lock_version, "attestation": True}
    client = api(bob)
    amended = client.post(f"/api/v1/reviews/{old.pk}/amend/", body, format="json")
    assert amended.status_code == 201, amended.content
    assert (amended.json()["version"], amended.json()["supersedes_id"]) == (2, old.pk)
    listed = client.get(f"/api/v1/cases/{final_case.pk}/reviews/").json()
    assert [(r["version"], r["is_void"]) for r in listed] == [(1, True), (2, False)]
    missing_reason = client.post(f"/api/v1/reviews/{amended.json()['id']}/amend/",
                                 {**body, "reason": "", "expected_lock_version": final_case.lock_version + 1},
                                 format="json")
    assert "reason" in assert_error(missing_reason, 400, "invalid")["fields"]


def test_release_of_own_claim_and_refusal_of_anothers(api, bob, dave, reviewable_case) -> None:  # noqa: ANN001
    assert api(bob).post(f"/api/v1/cases/{reviewable_case.pk}/claim/").status_code == 200
    assert_error(api(dave).delete(f"/api/v1/cases/{reviewable_case.pk}/claim/"), 409, "claimed")
    released = api(bob).delete(f"/api/v1/cases/{reviewable_case.pk}/claim/")
    assert released.status_code == 200 and released.json()["claimed_by"] is None
