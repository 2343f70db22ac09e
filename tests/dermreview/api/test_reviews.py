"""Drafts and the review commands over the API: the browser's rules (labelling, blind-first, dual review, locks)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models import FINDING_FIELDS, DraftStatus
from dermreview.review.models import BlindFinding, Review
from tests.dermreview.api.conftest import assert_error
from tests.factories import SAMPLE_FINDING, SIGN_PLAN, CaseFactory

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
        **SIGN_PLAN,
    }
    return {**body, **overrides}


def _claim(client, case) -> None:  # noqa: ANN001
    claimed = client.post(f"/api/v1/cases/{case.pk}/claim/")
    assert claimed.status_code == 200, claimed.content


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
    _claim(client, reviewable_case)
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
    _claim(bob_client, reviewable_case)
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
    _claim(api(dave), reviewable_case)
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
    _claim(client, final_case)
    amended = client.post(f"/api/v1/reviews/{old.pk}/amend/", body, format="json")
    assert amended.status_code == 201, amended.content
    assert (amended.json()["version"], amended.json()["supersedes_id"]) == (2, old.pk)
    listed = client.get(f"/api/v1/cases/{final_case.pk}/reviews/").json()
    assert [(r["version"], r["is_void"]) for r in listed] == [(1, True), (2, False)]
    _claim(client, final_case)
    missing_reason = client.post(f"/api/v1/reviews/{amended.json()['id']}/amend/",
                                 {**body, "reason": "", "expected_lock_version": final_case.lock_version + 1},
                                 format="json")
    assert "reason" in assert_error(missing_reason, 400, "invalid")["fields"]


def test_amendment_needs_a_claim_and_times_from_it_not_from_opened_at(api, bob, final_case) -> None:  # noqa: ANN001
    old = final_case.reviews.get()
    forged = (timezone.now() - timedelta(hours=3)).isoformat()
    body = {"fields": {**SAMPLE_FINDING, "summary": "Benign keratosis; reread."}, "reason": "Reread.",
            "opened_at": forged, "expected_lock_version": final_case.lock_version, "attestation": True}
    client = api(bob)
    assert_error(client.post(f"/api/v1/reviews/{old.pk}/amend/", body, format="json"), 409, "claim_required")
    assert Review.objects.filter(case=final_case).count() == 1
    _claim(client, final_case)
    # Time on task runs from the claim (30 s ago); the forged opened_at (3 hours ago) counts for nothing.
    Case.objects.filter(pk=final_case.pk).update(claimed_at=timezone.now() - timedelta(seconds=30))
    amended = client.post(f"/api/v1/reviews/{old.pk}/amend/", body, format="json")
    assert amended.status_code == 201, amended.content
    review = Review.objects.get(pk=amended.json()["id"])
    assert 29_000 <= review.time_on_task_ms <= 60_000
    assert abs((timezone.now() - review.opened_at).total_seconds() - 30) < 30


def test_release_of_own_claim_and_refusal_of_anothers(api, bob, dave, reviewable_case) -> None:  # noqa: ANN001
    assert api(bob).post(f"/api/v1/cases/{reviewable_case.pk}/claim/").status_code == 200
    assert_error(api(dave).delete(f"/api/v1/cases/{reviewable_case.pk}/claim/"), 409, "claimed")
    released = api(bob).delete(f"/api/v1/cases/{reviewable_case.pk}/claim/")
    assert released.status_code == 200 and released.json()["claimed_by"] is None


def test_sign_without_a_claim_is_409_claim_the_case_first(api, bob, reviewable_case) -> None:  # noqa: ANN001
    client = api(bob)
    body = _sign_body(reviewable_case, _draft(client, reviewable_case))
    error = assert_error(client.post(f"/api/v1/cases/{reviewable_case.pk}/sign/", body, format="json"), 409,
                         "claim_required")
    assert "Claim the case first" in error["detail"] and f"/api/v1/cases/{reviewable_case.pk}/claim/" in error["detail"]
    assert not Review.objects.exists()
    _claim(client, reviewable_case)
    assert client.post(f"/api/v1/cases/{reviewable_case.pk}/sign/", body, format="json").status_code == 201


@pytest.mark.parametrize("forged", [timedelta(days=-3653), timedelta(days=1), None],
                         ids=["ten-years-back", "tomorrow", "omitted"])
def test_sign_time_on_task_runs_from_the_claim_whatever_opened_at_says(api, bob, reviewable_case, forged) -> None:  # noqa: ANN001
    client = api(bob)
    draft = _draft(client, reviewable_case)
    before_claim = timezone.now()
    _claim(client, reviewable_case)
    body = _sign_body(reviewable_case, draft)
    if forged is None:
        body.pop("opened_at")
    else:
        body["opened_at"] = (timezone.now() + forged).isoformat()
    signed = client.post(f"/api/v1/cases/{reviewable_case.pk}/sign/", body, format="json")
    after_sign = timezone.now()
    assert signed.status_code == 201, signed.content
    review = Review.objects.get()
    # Measured by the server from the claim: never longer than the claim-to-answer window, whatever was sent.
    assert 0 <= review.time_on_task_ms <= (after_sign - before_claim).total_seconds() * 1000
    assert before_claim <= review.opened_at <= review.signed_at  # the stored start is the claim's
    assert review.time_on_task_ms == int((review.signed_at - review.opened_at).total_seconds() * 1000)
    assert signed.json()["time_on_task_ms"] == review.time_on_task_ms


def test_clinician_sees_status_only_until_the_case_is_final(api, alice, bob, dave, reviewable_case) -> None:  # noqa: ANN001
    bob_client = api(bob)
    _claim(bob_client, reviewable_case)
    draft = _draft(bob_client, reviewable_case)
    fields = {**draft["fields"], "lesion_type": "melanoma"}
    first = bob_client.post(f"/api/v1/cases/{reviewable_case.pk}/sign/",
                            _sign_body(reviewable_case, draft, fields=fields), format="json").json()
    reviewable_case.refresh_from_db()
    assert reviewable_case.status == CaseStatus.NEEDS_SECOND_REVIEW

    clinician = api(alice)
    assert clinician.get(f"/api/v1/cases/{reviewable_case.pk}/reviews/").json() == []
    assert_error(clinician.get(f"/api/v1/reviews/{first['id']}/"), 404)
    case = clinician.get(f"/api/v1/cases/{reviewable_case.pk}/").json()
    assert (case["status"], case["display_status"]) == ("needs_second_review", "Needs second review")

    _claim(api(dave), reviewable_case)
    api(dave).post(f"/api/v1/cases/{reviewable_case.pk}/sign/",
                   _sign_body(reviewable_case, draft, fields=fields), format="json")
    listed = clinician.get(f"/api/v1/cases/{reviewable_case.pk}/reviews/").json()
    assert [(r["round"], r["kind"], r["reviewed"]) for r in listed] == [(1, "signed_finding", True),
                                                                         (2, "signed_finding", True)]
    assert all(r["ai_draft"] is None for r in listed)  # clinicians never see draft text, even behind a finding
    assert not AuditEvent.objects.filter(action="draft.view", actor=alice).exists()


def test_reading_a_sign_off_with_its_ai_draft_is_a_draft_view(api, bob, carol, final_case) -> None:  # noqa: ANN001
    review = final_case.reviews.get()
    listed = api(carol).get(f"/api/v1/cases/{final_case.pk}/reviews/").json()
    assert listed[0]["ai_draft"]["fields"]["lesion_type"]
    event = AuditEvent.objects.get(action="draft.view", actor=carol)
    assert event.case_id == final_case.pk and event.details["draft_ids"] == [review.draft_id]
    assert event.details["via"] == "api_reviews"
    api(bob).get(f"/api/v1/reviews/{review.pk}/")
    assert AuditEvent.objects.filter(action="draft.view", actor=bob, case_id=final_case.pk).count() == 1


# --- the lesion type comes from the diagnosis vocabulary ------------------------------------------------------


def _sign_lesion_type(client, case, lesion_type: str):  # noqa: ANN001, ANN202
    _claim(client, case)
    draft = _draft(client, case)
    body = _sign_body(case, draft, fields={**draft["fields"], "lesion_type": lesion_type},
                      confirmed_fields=[name for name in FINDING_FIELDS if name != "lesion_type"])
    return client.post(f"/api/v1/cases/{case.pk}/sign/", body, format="json")


@pytest.mark.parametrize(("lesion_type", "message"), [
    ("mela\u200bnoma", "(U+200B ZERO WIDTH SPACE) at position 5"),
    ("naevus\u202e", "(U+202E RIGHT-TO-LEFT OVERRIDE) at position 7"),
    ("weird blob", "Not a lesion type of the diagnosis vocabulary"),
])
def test_sign_refuses_a_lesion_type_with_a_hidden_character_or_outside_the_vocabulary(
        api, bob, reviewable_case, lesion_type, message) -> None:  # noqa: ANN001
    error = assert_error(_sign_lesion_type(api(bob), reviewable_case, lesion_type), 400, "invalid")
    assert list(error["fields"]) == ["fields.lesion_type"] and message in error["fields"]["fields.lesion_type"][0]
    assert not Review.objects.exists()


@pytest.mark.parametrize("lesion_type", ["mel\u0430noma", "lentigo maligna", "B.C.C."])
def test_sign_maps_look_alikes_and_other_names_to_their_high_risk_class(api, bob, reviewable_case,
                                                                       lesion_type) -> None:  # noqa: ANN001
    signed = _sign_lesion_type(api(bob), reviewable_case, lesion_type)
    assert signed.status_code == 201, signed.content
    assert signed.json()["lesion_class"]["high_risk"] is True
    assert signed.json()["fields"]["lesion_type"] == lesion_type
    reviewable_case.refresh_from_db()
    assert reviewable_case.status == CaseStatus.NEEDS_SECOND_REVIEW


def test_signed_finding_names_its_class(api, bob, reviewable_case) -> None:  # noqa: ANN001
    signed = _sign_lesion_type(api(bob), reviewable_case, "\uff4d\uff45\uff4c\uff41\uff4e\uff4f\uff43\uff59\uff54"
                                                          "\uff49\uff43 naevus")  # fullwidth: NFKC
    assert signed.status_code == 201, signed.content
    review = signed.json()
    assert review["fields"]["lesion_type"] == "melanocytic naevus"
    assert review["lesion_class"] == {"code": "naevus", "name": "Melanocytic naevus", "high_risk": False}
    reviewable_case.refresh_from_db()
    assert reviewable_case.status == CaseStatus.FINAL


def test_rejection_and_amendment_reasons_refuse_hidden_characters(api, bob, reviewable_case, final_case) -> None:  # noqa: ANN001
    client = api(bob)
    _claim(client, reviewable_case)
    body = _sign_body(reviewable_case, _draft(client, reviewable_case), rejection_reason="useless\u200b")
    error = assert_error(client.post(f"/api/v1/cases/{reviewable_case.pk}/sign/", body, format="json"), 400)
    assert "U+200B" in error["fields"]["rejection_reason"][0]
    old = final_case.reviews.get()
    amend = {"fields": SAMPLE_FINDING, "reason": "typo\u2066", "opened_at": timezone.now().isoformat(),
             "expected_lock_version": final_case.lock_version, "attestation": True}
    error = assert_error(client.post(f"/api/v1/reviews/{old.pk}/amend/", amend, format="json"), 400)
    assert "U+2066 LEFT-TO-RIGHT ISOLATE" in error["fields"]["reason"][0]


def test_blind_finding_refuses_an_unknown_class_and_names_a_known_one(api, bob, reviewable_case) -> None:  # noqa: ANN001
    reviewable_case.blind_first = True
    reviewable_case.save()
    client = api(bob)
    _claim(client, reviewable_case)
    url = f"/api/v1/cases/{reviewable_case.pk}/blind-finding/"
    error = assert_error(client.post(url, {"fields": {**SAMPLE_FINDING, "lesion_type": "weird blob"}},
                                     format="json"), 400)
    assert list(error["fields"]) == ["fields.lesion_type"]
    saved = client.post(url, {"fields": {**SAMPLE_FINDING, "lesion_type": "Bowen's disease"}}, format="json")
    assert saved.status_code == 201, saved.content
    assert saved.json()["lesion_class"]["code"] == "scc-is"
    assert BlindFinding.objects.get().lesion_class.high_risk
