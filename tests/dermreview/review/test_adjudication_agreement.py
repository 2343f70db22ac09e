"""A dual-review disagreement settled by the two reviewers agreeing on one finding: one proposes, the other agrees."""

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
from dermreview.review.services.adjudication_agreement import (
    review_adjudication_confirm,
    review_adjudication_propose,
)
from tests import factories
from tests.dermreview.review.review_helpers import MELANOMA, NEVUS, ready_case, sign

pytestmark = pytest.mark.django_db


def _disagreeing(alice, bob, dave) -> Case:  # noqa: ANN001
    """Round 1 (bob) says melanoma, round 2 (dave) a benign naevus: the case needs adjudication."""
    case = ready_case(alice, draft=MELANOMA)
    sign(case, bob, confirmed=FINDING_FIELDS)
    sign(case, dave, fields=NEVUS, confirmed=FINDING_FIELDS)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_ADJUDICATION
    return case


def _propose(case: Case, reviewer, round: int) -> Review:  # noqa: ANN001, A002
    case.refresh_from_db()
    return review_adjudication_propose(case=case, reviewer=reviewer, round=round,
                                       expected_lock_version=case.lock_version)


def _confirm(case: Case, reviewer, round: int) -> Review:  # noqa: ANN001, A002
    case.refresh_from_db()
    return review_adjudication_confirm(case=case, reviewer=reviewer, round=round,
                                       opened_at=timezone.now() - timedelta(seconds=20),
                                       expected_lock_version=case.lock_version, attestation=True)


def test_propose_then_other_reviewer_confirms_makes_the_case_final_agreed(alice, bob, dave):
    case = _disagreeing(alice, bob, dave)
    second = _propose(case, dave, 1)  # dave accepts bob's finding
    assert second.round == 2 and second.adjudication_proposal["round"] == 1
    assert second.adjudication_proposal["by"] == dave.pk
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_ADJUDICATION
    review = _confirm(case, bob, 1)
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL
    assert (review.round, review.version, review.resolution, review.reviewer) == (3, 1, "agreed", bob)
    assert review.finding_fields() == MELANOMA and review.lesion_class_id is not None
    assert (review.outcome, review.all_unchanged) == ("resolving", False)  # no AI draft on the adjudication page
    # Nothing overwritten: both earlier findings stand as signed.
    assert list(Review.objects.filter(case=case, voided_at__isnull=True).values_list("round", "lesion_type")) == [
        (1, MELANOMA["lesion_type"]), (2, NEVUS["lesion_type"]), (3, MELANOMA["lesion_type"])]


def test_keep_mine_confirmed_by_the_other_reviewer(alice, bob, dave):
    case = _disagreeing(alice, bob, dave)
    _propose(case, dave, 2)  # dave keeps his own finding
    review = _confirm(case, bob, 2)
    assert review.resolution == "agreed" and review.lesion_type == NEVUS["lesion_type"]


def test_proposer_cannot_confirm_their_own_proposal(alice, bob, dave):
    case = _disagreeing(alice, bob, dave)
    _propose(case, bob, 1)
    with pytest.raises(ReviewNotAllowed) as raised:
        _confirm(case, bob, 1)
    assert raised.value.code == "own_proposal"
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_ADJUDICATION and not Review.objects.filter(round=3).exists()


def test_confirm_without_proposal_or_after_it_changed_is_refused(alice, bob, dave):
    case = _disagreeing(alice, bob, dave)
    with pytest.raises(ReviewNotAllowed) as raised:
        _confirm(case, bob, 1)
    assert raised.value.code == "no_proposal"
    _propose(case, dave, 2)
    from dermreview.review.errors import ReviewConflict

    with pytest.raises(ReviewConflict):
        _confirm(case, bob, 1)
    assert not Review.objects.filter(round=3).exists()


def test_third_reviewer_cannot_propose_or_confirm(alice, bob, dave, erin):
    case = _disagreeing(alice, bob, dave)
    with pytest.raises(ReviewNotAllowed) as raised:
        _propose(case, erin, 1)
    assert raised.value.code == "not_party"
    _propose(case, bob, 1)
    with pytest.raises(ReviewNotAllowed):
        _confirm(case, erin, 1)


def test_third_reviewer_can_still_adjudicate_and_the_proposal_is_void(alice, bob, dave, erin):
    case = _disagreeing(alice, bob, dave)
    _propose(case, bob, 1)
    case.refresh_from_db()
    review = review_adjudicate(case=case, reviewer=erin, fields=dict(NEVUS),
                               opened_at=timezone.now() - timedelta(seconds=40),
                               expected_lock_version=case.lock_version, attestation=True)
    assert review.resolution == "adjudicated_by_third_reviewer"
    with pytest.raises(ReviewNotAllowed) as raised:
        _confirm(case, dave, 1)
    assert raised.value.code == "state"
    assert AuditEvent.objects.get(action="review.adjudicate").details["via"] == "third_reviewer"


def test_audit_events_for_propose_and_agree(alice, bob, dave):
    case = _disagreeing(alice, bob, dave)
    second = _propose(case, bob, 2)  # bob accepts dave's finding
    propose = AuditEvent.objects.get(action="review.adjudication_propose")
    assert propose.actor == bob and propose.details["round"] == 2 and propose.details["keeps_own"] is False
    assert propose.object_id in (second.pk, str(second.pk))
    review = _confirm(case, dave, 2)
    event = AuditEvent.objects.get(action="review.adjudicate")
    assert event.actor == dave and event.details["via"] == "agreement"
    assert event.details["resolution"] == "agreed" and event.details["status_to"] == CaseStatus.FINAL
    assert event.object_id in (review.pk, str(review.pk))


def test_pages_propose_and_agree(client, alice, bob, dave):
    case = _disagreeing(alice, bob, dave)
    url = reverse("review:adjudicate", args=[case.pk])
    client.force_login(dave)
    page = client.get(url).content.decode()
    assert 'id="agreement-accept-other"' in page and "Accept bob" in page and "Keep mine" in page
    assert 'id="agreement-confirm"' not in page
    response = client.post(reverse("review:adjudication_propose", args=[case.pk]),
                           {"lock_version": case.lock_version, "round": 1})
    assert response.status_code == 302 and response.url == url
    page = client.get(url).content.decode()
    assert "You proposed" in page and 'id="agreement-confirm"' not in page
    confirm_url = reverse("review:adjudication_confirm", args=[case.pk])
    data = {"lock_version": case.lock_version, "round": 1, "attestation": "on",
            "opened": opened_token(case_id=case.pk, opened_at=timezone.now() - timedelta(seconds=30))}
    assert client.post(confirm_url, data).status_code == 409  # the proposer cannot agree to it
    client.force_login(bob)
    page = client.get(url).content.decode()
    assert "dave proposed" in page and 'id="agreement-confirm"' in page
    response = client.post(confirm_url, data)
    review = Review.objects.get(case=case, round=3)
    assert response.status_code == 302 and response.url == reverse("review:result", args=[review.pk])
    assert review.resolution == "agreed" and review.reviewer == bob


def test_outsiders_are_refused(client, alice, bob, dave, erin, carol, other_clinic):
    case = _disagreeing(alice, bob, dave)
    stranger = factories.UserFactory(username="zed", organisation=other_clinic, roles=["reviewer"])
    propose_url = reverse("review:adjudication_propose", args=[case.pk])
    client.force_login(stranger)
    assert client.post(propose_url, {"lock_version": case.lock_version, "round": 1}).status_code == 404
    assert client.get(reverse("review:adjudicate", args=[case.pk])).status_code == 404
    client.force_login(erin)
    assert 'id="agreement-propose-form"' not in client.get(reverse("review:adjudicate", args=[case.pk])).content.decode()
    assert client.post(propose_url, {"lock_version": case.lock_version, "round": 1}).status_code == 409
    client.force_login(carol)
    assert client.post(propose_url, {"lock_version": case.lock_version, "round": 1}).status_code == 403
    assert client.get(propose_url).status_code == 405
    assert not AuditEvent.objects.filter(action="review.adjudication_propose").exists()
