"""Dual-review disagreement on the class is adjudicated by a third reviewer, never overwritten by round 2."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.errors import ReviewNotAllowed
from dermreview.review.forms import opened_token
from dermreview.review.models import Review
from dermreview.review.services.adjudication import review_adjudicate
from dermreview.review.services.queue import QueueFilters, review_queue
from tests import factories
from tests.dermreview.review.review_helpers import MELANOMA, NEVUS, ready_case, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def erin(clinic):  # noqa: ANN001, ANN201 - a third reviewer in the same clinic
    return factories.UserFactory(username="erin", organisation=clinic, roles=["reviewer"])


def _disagreeing(alice, bob, dave) -> Case:  # noqa: ANN001
    """A high-risk case whose round 1 (bob) says melanoma and round 2 (dave) a benign naevus."""
    case = ready_case(alice, draft=MELANOMA)
    sign(case, bob, confirmed=FINDING_FIELDS)
    sign(case, dave, fields=NEVUS, confirmed=FINDING_FIELDS)
    case.refresh_from_db()
    return case


def _adjudicate(case: Case, reviewer, fields=MELANOMA) -> Review:  # noqa: ANN001
    case.refresh_from_db()
    return review_adjudicate(case=case, reviewer=reviewer, fields=dict(fields),
                             opened_at=timezone.now() - timedelta(seconds=40),
                             expected_lock_version=case.lock_version, attestation=True)


def test_round_two_disagreeing_on_the_class_needs_adjudication_not_final(alice, bob, dave):
    case = _disagreeing(alice, bob, dave)
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
    case = _disagreeing(alice, bob, dave)
    review = _adjudicate(case, erin)
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL and case.high_risk
    assert (review.round, review.version, review.resolution) == (3, 1, "adjudicated_by_third_reviewer")
    # Nothing overwritten: both earlier sign-offs stand as signed.
    assert list(Review.objects.filter(case=case, voided_at__isnull=True).values_list("round", "lesion_type")) == [
        (1, MELANOMA["lesion_type"]), (2, NEVUS["lesion_type"]), (3, MELANOMA["lesion_type"])]
    event = AuditEvent.objects.get(action="review.adjudicate")
    assert event.details["status_to"] == CaseStatus.FINAL and event.details["sides_with"] == [1]


@pytest.mark.parametrize("who", ["bob", "dave"])
def test_either_dual_reviewer_cannot_adjudicate(alice, bob, dave, who):
    case = _disagreeing(alice, bob, dave)
    with pytest.raises(ReviewNotAllowed) as raised:
        _adjudicate(case, {"bob": bob, "dave": dave}[who])
    assert raised.value.code == "same_reviewer"
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_ADJUDICATION and not Review.objects.filter(round=3).exists()


def test_adjudication_refused_when_nothing_to_adjudicate(alice, bob, erin):
    case = ready_case(alice)
    sign(case, bob)
    with pytest.raises(ReviewNotAllowed):
        _adjudicate(case, erin)


def test_round_two_sign_is_refused_while_adjudication_pending(alice, bob, dave, erin):
    case = _disagreeing(alice, bob, dave)
    with pytest.raises(ReviewNotAllowed):
        sign(case, erin, fields=MELANOMA, confirmed=FINDING_FIELDS)


def test_queue_lists_and_filters_cases_needing_adjudication(client, alice, bob, dave, erin):
    case = _disagreeing(alice, bob, dave)
    other = ready_case(alice)
    assert set(review_queue(user=erin, filters=QueueFilters(status="needs_adjudication"))) == {case}
    assert {case, other} <= set(review_queue(user=erin))
    client.force_login(erin)
    page = client.get(reverse("review:queue"), {"status": "needs_adjudication"}).content.decode()
    assert reverse("review:adjudicate", args=[case.pk]) in page and "1 need adjudication" in page


def test_adjudication_page_shows_both_findings_and_signs(client, alice, bob, dave, erin):
    case = _disagreeing(alice, bob, dave)
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
    case = _disagreeing(alice, bob, dave)
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
    case = _disagreeing(alice, bob, dave)
    review = _adjudicate(case, erin)
    from dermreview.api.serializers.reviews import ReviewSerializer

    assert ReviewSerializer(review).data["resolution"] == "adjudicated_by_third_reviewer"
