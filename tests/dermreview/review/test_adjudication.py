"""Dual-review disagreement on the class is adjudicated by a third reviewer, never overwritten by round 2."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import CaseStatus
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.errors import ReviewNotAllowed
from dermreview.review.forms import opened_token
from dermreview.review.models import Review, ReviewOutcome
from dermreview.review.services.queue import QueueFilters, review_queue
from tests.dermreview.review.review_helpers import (
    MELANOMA,
    NEVUS,
    adjudicate,
    disagreeing_case,
    ready_case,
    sign,
)

pytestmark = pytest.mark.django_db


def test_round_two_disagreeing_on_the_class_needs_adjudication_not_final(alice, bob, dave):
    case = disagreeing_case(alice, bob, dave)
    assert case.status == CaseStatus.NEEDS_ADJUDICATION
    second = Review.objects.get(case=case, round=2)
    assert second.resolution == "" and "lesion_type" in second.disagreement_fields
    assert AuditEvent.objects.filter(action="review.sign", actor=dave).get().details["status_to"] == \
        CaseStatus.NEEDS_ADJUDICATION


def test_round_two_differing_only_in_wording_of_the_same_class_is_concordant(alice, bob, dave):
    case = ready_case(alice, draft=MELANOMA)
    sign(case, bob, confirmed=FINDING_FIELDS)
    second = sign(case, dave, fields={**MELANOMA, "color": "dark brown and black"}, confirmed=FINDING_FIELDS)
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL
    assert second.resolution == "concordant" and second.disagreement_fields == ["color"]


def test_configured_field_disagreement_needs_adjudication(alice, bob, dave, settings):
    settings.DERMREVIEW_ADJUDICATION_FIELDS = ["lesion_type", "borders"]
    case = ready_case(alice, draft=MELANOMA)
    sign(case, bob, confirmed=FINDING_FIELDS)
    sign(case, dave, fields={**MELANOMA, "borders": "regular"}, confirmed=FINDING_FIELDS)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_ADJUDICATION


def test_third_reviewer_resolves_to_final_with_resolution(alice, bob, dave, erin):
    case = disagreeing_case(alice, bob, dave)
    review = adjudicate(case, erin)
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL and case.high_risk
    assert (review.round, review.version, review.resolution) == (3, 1, "adjudicated_by_third_reviewer")
    # Nothing overwritten: both earlier sign-offs stand as signed.
    assert list(Review.objects.filter(case=case, voided_at__isnull=True).values_list("round", "lesion_type")) == [
        (1, MELANOMA["lesion_type"]), (2, NEVUS["lesion_type"]), (3, MELANOMA["lesion_type"])]
    event = AuditEvent.objects.get(action="review.adjudicate")
    assert event.details["status_to"] == CaseStatus.FINAL and event.details["sides_with"] == [1]


@pytest.mark.parametrize("who", ["bob", "dave"])
def test_either_dual_reviewer_cannotadjudicate(alice, bob, dave, who):
    case = disagreeing_case(alice, bob, dave)
    with pytest.raises(ReviewNotAllowed) as raised:
        adjudicate(case, {"bob": bob, "dave": dave}[who])
    assert raised.value.code == "same_reviewer"
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_ADJUDICATION and not Review.objects.filter(round=3).exists()


def test_adjudication_refused_when_nothing_toadjudicate(alice, bob, erin):
    case = ready_case(alice)
    sign(case, bob)
    with pytest.raises(ReviewNotAllowed):
        adjudicate(case, erin)


def test_round_two_sign_is_refused_while_adjudication_pending(alice, bob, dave, erin):
    case = disagreeing_case(alice, bob, dave)
    with pytest.raises(ReviewNotAllowed):
        sign(case, erin, fields=MELANOMA, confirmed=FINDING_FIELDS)


def test_queue_lists_and_filters_cases_needing_adjudication(client, alice, bob, dave, erin):
    case = disagreeing_case(alice, bob, dave)
    other = ready_case(alice)
    assert set(review_queue(user=erin, filters=QueueFilters(status="needs_adjudication"))) == {case}
    assert {case, other} <= set(review_queue(user=erin))
    client.force_login(erin)
    page = client.get(reverse("review:queue"), {"status": "needs_adjudication"}).content.decode()
    assert reverse("review:adjudicate", args=[case.pk]) in page and "1 need adjudication" in page


def test_adjudication_page_shows_both_findings_and_signs(client, alice, bob, dave, erin):
    case = disagreeing_case(alice, bob, dave)
    client.force_login(erin)
    url = reverse("review:adjudicate", args=[case.pk])
    page = client.get(url).content.decode()
    assert 'id="adjudication-form"' in page and NEVUS["lesion_type"] in page and MELANOMA["lesion_type"] in page
    response = client.post(url, {**NEVUS, "lock_version": case.lock_version, "attestation": "on",
                                 "opened": opened_token(case_id=case.pk,
                                                        opened_at=timezone.now() - timedelta(seconds=30))})
    review = Review.objects.get(case=case, round=3)
    assert response.status_code == 302 and response.url == reverse("review:result", args=[review.pk])
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL and review.resolution == "adjudicated_by_third_reviewer"


def test_adjudication_page_has_no_form_for_the_dual_reviewers_or_auditors(client, alice, bob, dave, carol):
    case = disagreeing_case(alice, bob, dave)
    url = reverse("review:adjudicate", args=[case.pk])
    for user in (bob, carol):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert 'id="adjudication-form"' not in page and 'id="disagreement"' in page
    client.force_login(bob)
    assert client.post(url, {**MELANOMA, "lock_version": case.lock_version, "attestation": "on",
                             "opened": opened_token(case_id=case.pk)}).status_code == 409
    client.force_login(carol)
    assert client.post(url, {}).status_code == 403


def test_api_review_carries_resolution(client, alice, bob, dave, erin):
    case = disagreeing_case(alice, bob, dave)
    review = adjudicate(case, erin)
    from dermreview.api.serializers.reviews import ReviewSerializer

    assert ReviewSerializer(review).data["resolution"] == "adjudicated_by_third_reviewer"


@pytest.mark.parametrize("fields", [MELANOMA, NEVUS])  # the AI draft's text unchanged, and another class
def test_the_resolving_sign_off_is_never_recorded_as_the_ai_draft_accepted(alice, bob, dave, erin, fields):
    """The adjudication page shows the two reviewers' findings, never the AI draft: a third reviewer whose finding
    happens to equal the draft has not accepted it, and must not count as accepting it unchanged."""
    review = adjudicate(disagreeing_case(alice, bob, dave), erin, fields)
    assert (review.outcome, review.all_unchanged) == (ReviewOutcome.RESOLVING, False)
    assert review.get_outcome_display() == "Resolving sign-off of a disagreement; AI draft not shown"
    # Still measured against the draft it settles: where the settled finding differs from it.
    assert review.edited_fields == ([] if fields is MELANOMA else list(FINDING_FIELDS))


def test_round_two_that_leads_to_adjudication_needs_the_plan_and_round_three_carries_it(alice, bob, dave, erin):
    from dermreview.review.errors import ReviewInvalid
    from dermreview.review.services.plan import PlanInput
    from dermreview.review.services.signoff import review_sign
    from tests.dermreview.review.review_helpers import claim, first_draft

    case = ready_case(alice, draft=MELANOMA)
    sign(case, bob, confirmed=FINDING_FIELDS)
    case.refresh_from_db()
    claim(case, dave, seconds_ago=45)
    arguments = {"case": case, "reviewer": dave, "fields": dict(NEVUS), "confirmed_fields": FINDING_FIELDS,
                 "draft": first_draft(case), "attestation": True}
    with pytest.raises(ReviewInvalid) as refused:  # disagreeing, so round 3 will carry this plan: required
        review_sign(**arguments, expected_lock_version=case.lock_version, plan=PlanInput())
    assert "management_plan" in refused.value.errors
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_SECOND_REVIEW and not Review.objects.filter(round=2).exists()
    review_sign(**arguments, expected_lock_version=case.lock_version, plan=PlanInput(management_plan="biopsy"))
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_ADJUDICATION
    resolving = adjudicate(case, erin)
    assert resolving.management_plan == "biopsy" and resolving.change_since_previous == "new"
