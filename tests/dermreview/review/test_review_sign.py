"""Sign-off, dual review and amendment: the state machine that only a human sign-off moves to `final`."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case, CaseStatus, DiagnosisClass
from dermreview.drafting.models import FINDING_FIELDS, DraftStatus
from dermreview.review.errors import (
    ReviewConflict,
    ReviewInvalid,
    ReviewNotAllowed,
    ReviewRoleDenied,
)
from dermreview.review.models import Review, ReviewOutcome
from dermreview.review.services.plan import PlanInput
from dermreview.review.services.rules import high_risk_class_named
from dermreview.review.services.signoff import review_amend, review_sign
from tests.dermreview.review.review_helpers import MELANOMA, NEVUS, claim, first_draft, ready_case, sign
from tests.factories import SIGN_PLAN

pytestmark = pytest.mark.django_db


def test_review_sign_accepting_every_confirmed_field_makes_case_final(alice, bob):
    case = ready_case(alice)
    draft = first_draft(case)
    review = sign(case, bob, claimed_seconds_ago=42)
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL and case.lock_version == 1 and case.claimed_by is None
    assert review.outcome == ReviewOutcome.ACCEPTED and review.all_unchanged and review.edited_fields == []
    assert (review.version, review.round, review.reviewer) == (1, 1, bob)
    assert 41_000 <= review.time_on_task_ms <= 60_000
    assert review.draft_snapshot == {
        "draft_id": draft.pk, "image_id": draft.image_id, "fields": NEVUS, "model_id": draft.model_id,
        "model_revision": draft.model_revision, "prompt_version": draft.prompt_version,
        "resolved_revision": draft.resolved_revision,
    }
    assert "responsibility" in review.attestation
    event = AuditEvent.objects.get(action="review.sign")
    assert event.actor == bob and event.case_id == case.pk and event.details["status_to"] == "final"


def test_review_sign_rejects_untouched_form_and_writes_nothing(alice, bob):
    case = ready_case(alice)
    with pytest.raises(ReviewInvalid) as caught:
        sign(case, bob, confirmed=())
    assert set(caught.value.errors) == set(FINDING_FIELDS)
    assert "confirm it or change it" in caught.value.errors["summary"]
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW and case.lock_version == 0
    assert not Review.objects.exists() and not AuditEvent.objects.filter(action="review.sign").exists()


def test_review_sign_records_edited_fields_and_requires_confirming_the_rest(alice, bob):
    case = ready_case(alice)
    fields = {**NEVUS, "color": "two shades of brown", "borders": "slightly irregular"}
    with pytest.raises(ReviewInvalid) as caught:
        sign(case, bob, fields=fields, confirmed=["lesion_type", "symmetry", "texture"])
    assert set(caught.value.errors) == {"summary"}
    review = sign(case, bob, fields=fields, confirmed=["lesion_type", "symmetry", "texture", "summary"])
    assert review.outcome == ReviewOutcome.EDITED and not review.all_unchanged
    assert review.edited_fields == ["color", "borders"] and review.color == "two shades of brown"
    assert AuditEvent.objects.get(action="review.sign").details["edited_fields"] == ["color", "borders"]


def test_review_sign_whitespace_only_change_is_not_an_edit(alice, bob):
    case = ready_case(alice)
    with pytest.raises(ReviewInvalid) as caught:
        sign(case, bob, fields={**NEVUS, "texture": "  smooth "}, confirmed=[f for f in FINDING_FIELDS if f != "texture"])
    assert set(caught.value.errors) == {"texture"}


def test_review_sign_reject_draft_records_reason_and_outcome(alice, bob):
    case = ready_case(alice)
    own = {"lesion_type": "seborrhoeic keratosis", "color": "tan", "symmetry": "symmetric", "borders": "sharp",
           "texture": "waxy, stuck-on", "summary": "Stuck-on waxy plaque."}
    review = sign(case, bob, fields=own, confirmed=("symmetry",), rejection_reason="Draft describes a different lesion")
    assert review.outcome == ReviewOutcome.REJECTED_DRAFT and review.rejection_reason.startswith("Draft describes")
    assert AuditEvent.objects.filter(action="review.reject_draft", actor=bob).exists()
    assert not AuditEvent.objects.filter(action="review.sign").exists()


def test_review_sign_manual_entry_only_when_no_draft_is_ready(alice, bob):
    failed = ready_case(alice, draft_status=DraftStatus.FAILED)
    review = sign(failed, bob, draft=None, fields=NEVUS, confirmed=())
    assert review.outcome == ReviewOutcome.MANUAL and review.draft is None and review.draft_snapshot == {}
    with_draft = ready_case(alice)
    with pytest.raises(ReviewInvalid) as caught:
        sign(with_draft, bob, draft=None, fields=NEVUS, confirmed=())
    assert "draft" in caught.value.errors


def test_review_sign_requires_every_field_and_the_attestation(alice, bob):
    case = claim(ready_case(alice), bob)
    with pytest.raises(ReviewInvalid) as caught:
        review_sign(case=case, reviewer=bob, fields={**NEVUS, "borders": "   "}, confirmed_fields=FINDING_FIELDS,
                    draft=first_draft(case), expected_lock_version=0, attestation=False)
    assert {"borders", "attestation"} <= set(caught.value.errors)
    assert not Review.objects.exists()


def test_review_sign_requires_the_signers_own_current_claim(alice, bob):
    case = ready_case(alice)

    def attempt() -> Review:
        case.refresh_from_db()
        return review_sign(case=case, reviewer=bob, fields=NEVUS, confirmed_fields=FINDING_FIELDS,
                           draft=first_draft(case), expected_lock_version=0, attestation=True,
                           plan=PlanInput(**SIGN_PLAN))

    with pytest.raises(ReviewNotAllowed) as caught:
        attempt()  # nobody holds the case
    assert caught.value.code == "claim_required" and caught.value.http_status == 409
    assert "Claim the case first" in caught.value.message
    claim(case, bob)
    Case.objects.filter(pk=case.pk).update(claim_expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ReviewNotAllowed) as caught:
        attempt()  # bob's claim has lapsed
    assert caught.value.code == "claim_required" and not Review.objects.exists()
    claim(case, bob)
    assert attempt().reviewer == bob


def test_review_sign_time_on_task_runs_from_the_claim_on_the_servers_clock(alice, bob):
    case = claim(ready_case(alice), bob, seconds_ago=90)
    review = sign(case, bob)  # bob holds the claim already: the helper leaves it as it is
    assert review.opened_at == case.claimed_at  # the stored start is the claim's
    assert review.time_on_task_ms == int((review.signed_at - case.claimed_at).total_seconds() * 1000)
    assert 90_000 <= review.time_on_task_ms < 150_000


def test_review_sign_rejects_a_draft_of_another_case(alice, bob):
    case, other = ready_case(alice), ready_case(alice)
    with pytest.raises(ReviewInvalid) as caught:
        sign(case, bob, draft=first_draft(other))
    assert caught.value.errors["draft"] == "That draft belongs to another case."


def test_review_sign_by_clinician_auditor_or_outsider_is_denied(alice, carol, mallory):
    case = ready_case(alice)
    for user in (alice, carol, mallory):
        with pytest.raises(ReviewRoleDenied):
            sign(case, user)
    assert not Review.objects.exists()


def test_review_sign_on_a_final_case_is_not_allowed(alice, bob, dave):
    case = ready_case(alice)
    sign(case, bob)
    with pytest.raises(ReviewNotAllowed) as caught:
        sign(case, dave)
    assert caught.value.code == "state" and Review.objects.count() == 1


def test_review_sign_high_risk_needs_a_second_distinct_reviewer(alice, bob, dave):
    case = ready_case(alice, draft=MELANOMA)
    first = sign(case, bob)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_SECOND_REVIEW and case.high_risk
    with pytest.raises(ReviewNotAllowed) as caught:
        sign(case, bob)
    assert caught.value.code == "same_reviewer"
    second = sign(case, dave, fields={**MELANOMA, "color": "dark brown and black"},
                  confirmed=[f for f in FINDING_FIELDS if f != "color"])
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL
    assert (first.round, second.round, second.version) == (1, 2, 1)
    assert second.disagreement_fields == ["color"] and first.disagreement_fields == []
    assert AuditEvent.objects.filter(action="review.sign", actor=dave).get().details["disagreement_fields"] == ["color"]


def test_review_sign_high_risk_draft_needs_second_review_even_when_reviewer_disagrees(alice, bob):
    case = ready_case(alice, draft=MELANOMA)
    sign(case, bob, fields=NEVUS, confirmed=())
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_SECOND_REVIEW


def test_review_sign_high_risk_final_finding_needs_second_review(alice, bob):
    case = ready_case(alice)
    sign(case, bob, fields={**NEVUS, "lesion_type": "Basal-cell carcinoma, nodular"},
         confirmed=[f for f in FINDING_FIELDS if f != "lesion_type"])
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_SECOND_REVIEW and case.high_risk


# The class names of the diagnosis vocabulary (cases.DiagnosisClass); tests/dermreview/review/test_high_risk.py
# holds the full table, Unicode attacks included.
@pytest.mark.parametrize(("text", "expected"), [
    ("melanoma", "Melanoma"),
    ("Amelanotic MELANOMA in situ", "Amelanotic melanoma"),
    ("?melanomas", "Melanoma"),
    ("basal-cell carcinoma", "Basal cell carcinoma"),
    ("nodular BCC", "Nodular basal cell carcinoma"),
    ("cutaneous squamous  cell carcinoma", "Squamous cell carcinoma"),
    ("melanocytic nevus", None),
    ("benign keratosis", None),
    ("", None),
])
def test_high_risk_class_named_matches_whole_words_case_insensitively(text, expected):
    assert high_risk_class_named(text) == expected


def test_high_risk_classes_follow_the_vocabulary(alice):
    # Formerly the DERMREVIEW_HIGH_RISK_CLASSES setting; now the classes' own flags, a clinic's additions included.
    DiagnosisClass.objects.filter(organisation=None, code="mel").update(high_risk=False)
    DiagnosisClass.objects.create(organisation=alice.organisation, code="mcc-local", name="Trabecular carcinoma",
                                  high_risk=True)
    assert high_risk_class_named("Merkel cell carcinoma") == "Merkel cell carcinoma"
    assert high_risk_class_named("trabecular carcinoma", organisation_id=alice.organisation_id) == "Trabecular carcinoma"
    assert high_risk_class_named("melanoma") is None


def test_no_code_outside_the_review_service_writes_final():
    """Only `review_sign` / `review_amend` may put a case into `final` (the state machine's one entry)."""
    root = Path(__file__).resolve().parents[3] / "dermreview"
    allowed = {root / "findings" / "services" / "review.py", root / "cases" / "models" / "case.py"}
    offenders = []
    for path in root.rglob("*.py"):
        if path in allowed or "migrations" in path.parts:
            continue
        text = path.read_text()
        # A write of the case status: `status=CaseStatus.FINAL` (not a `case__status=` filter) or
        # `.status = "final"`. FHIR's own "final" observation status is not a case status.
        if re.search(r"(?<![\w])status\s*=\s*CaseStatus\.FINAL|\.status\s*=\s*[\"']final[\"']", text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_no_path_reaches_final_without_a_sign_off(alice, bob):
    """Claiming, releasing, blind entry and marking a photo ungradable never finalise a case."""
    from dermreview.review.services.blind import blind_finding_record
    from dermreview.review.services.claim import case_claim, case_release
    from dermreview.review.services.ungradable import image_mark_ungradable

    case = ready_case(alice, drafts=2, blind_first=True)
    case_claim(case=case, user=bob)
    blind_finding_record(case=case, reviewer=bob, fields=NEVUS)
    image_mark_ungradable(image=case.images.first(), reviewer=bob, reason="blur")
    case_release(case=case, user=bob)
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW and not case.reviews.exists()
    sign(case, bob)
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL and case.reviews.count() == 1


def test_review_amend_voids_previous_sign_off_and_keeps_history(alice, bob, dave):
    case = ready_case(alice)
    original = sign(case, bob)
    claim(case, dave, seconds_ago=20)
    amended = review_amend(
        review=original, reviewer=dave, fields={**NEVUS, "borders": "slightly irregular at 3 o'clock"},
        reason="Dermoscopy reread", expected_lock_version=case.lock_version, attestation=True,
    )
    original.refresh_from_db()
    case.refresh_from_db()
    assert original.is_void and original.voided_by == dave and original.voided_at is not None
    assert (amended.version, amended.round, amended.supersedes) == (2, 1, original)
    assert amended.amendment_reason == "Dermoscopy reread" and amended.edited_fields == ["borders"]
    assert amended.draft_id == original.draft_id and amended.draft_snapshot == original.draft_snapshot
    assert case.status == CaseStatus.FINAL and case.lock_version == 2
    assert Review.objects.filter(case=case).count() == 2 and Review.objects.active().get() == amended
    event = AuditEvent.objects.get(action="review.amend")
    assert event.details["voided_review_ids"] == [original.pk] and event.details["changed_fields"] == ["borders"]
    assert event.details["changes"] == {"borders": [NEVUS["borders"], "slightly irregular at 3 o'clock"]}


def test_review_amend_to_high_risk_needs_second_review_again(alice, bob, dave):
    case = ready_case(alice)
    original = sign(case, bob)
    claim(case, bob)
    review_amend(review=original, reviewer=bob, fields=MELANOMA, reason="Missed regression structures",
                 expected_lock_version=case.lock_version, attestation=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_SECOND_REVIEW
    with pytest.raises(ReviewNotAllowed):
        sign(case, bob, fields=MELANOMA, confirmed=FINDING_FIELDS)
    second = sign(case, dave, fields=MELANOMA, confirmed=FINDING_FIELDS)
    case.refresh_from_db()
    assert (second.version, second.round) == (2, 2) and case.status == CaseStatus.FINAL


def test_review_amend_requires_reason_and_a_current_final_review(alice, bob):
    case = ready_case(alice)
    original = sign(case, bob)
    claim(case, bob)
    with pytest.raises(ReviewInvalid) as caught:
        review_amend(review=original, reviewer=bob, fields=NEVUS, reason=" ", opened_at=timezone.now(),
                     expected_lock_version=case.lock_version, attestation=True)
    assert "reason" in caught.value.errors
    review_amend(review=original, reviewer=bob, fields=NEVUS, reason="typo", opened_at=timezone.now(),
                 expected_lock_version=case.lock_version, attestation=True)
    claim(case, bob)
    with pytest.raises(ReviewNotAllowed):
        review_amend(review=original, reviewer=bob, fields=NEVUS, reason="again", opened_at=timezone.now(),
                     expected_lock_version=case.lock_version, attestation=True)
    with pytest.raises(ReviewConflict):
        review_amend(review=Review.objects.active().get(), reviewer=bob, fields=NEVUS, reason="stale",
                     opened_at=timezone.now(), expected_lock_version=0, attestation=True)


def test_marking_a_photo_ungradable_is_audited_with_old_and_new_values(alice, bob):
    from dermreview.review.services.ungradable import image_mark_ungradable

    case = ready_case(alice)
    image = case.images.get()
    image_mark_ungradable(image=image, reviewer=bob, reason="Motion blur")
    event = AuditEvent.objects.get(action="image.mark_ungradable")
    assert event.details["changes"] == {"ungradable_reason": ["", "Motion blur"]}


def test_review_sign_concordant_dual_review_is_final_with_concordant_resolution(alice, bob, dave):
    case = ready_case(alice, draft=MELANOMA)
    first = sign(case, bob, confirmed=FINDING_FIELDS)
    second = sign(case, dave, fields={**MELANOMA, "summary": "Suspicious for melanoma; excise."},
                  confirmed=FINDING_FIELDS)
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL
    assert (first.resolution, second.resolution) == ("", "concordant")
    assert AuditEvent.objects.filter(action="review.sign", actor=dave).get().details["resolution"] == "concordant"


def test_review_sign_round_two_naming_another_class_goes_to_adjudication(alice, bob, dave):
    case = ready_case(alice, draft=MELANOMA)
    sign(case, bob, confirmed=FINDING_FIELDS)
    second = sign(case, dave, fields=NEVUS, confirmed=FINDING_FIELDS)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_ADJUDICATION and second.resolution == ""
