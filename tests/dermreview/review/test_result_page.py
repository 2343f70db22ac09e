"""The result page shows the AI draft's text beside the signed finding: that is a recorded read of the draft."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.models import Review
from tests.dermreview.review.review_helpers import (
    MELANOMA,
    NEVUS,
    adjudicate,
    disagreeing_case,
    ready_case,
    sign,
)

pytestmark = pytest.mark.django_db


def test_result_page_records_draft_view(alice, bob, client_for):
    review = sign(ready_case(alice), bob)
    before = AuditEvent.objects.filter(action="draft.view").count()
    response = client_for(bob).get(reverse("review:result", args=[review.pk]))
    assert response.status_code == 200 and 'class="ai-draft"' in response.content.decode()
    event = AuditEvent.objects.filter(action="draft.view").latest("sequence")
    assert AuditEvent.objects.filter(action="draft.view").count() == before + 1
    assert event.details["via"] == "review_result" and event.details["draft_ids"] == [review.draft_id]


def test_result_page_without_draft_records_no_draft_view(alice, bob, client_for):
    review = sign(ready_case(alice), bob)
    type(review).objects.filter(pk=review.pk).update(draft_snapshot={})
    before = AuditEvent.objects.filter(action="draft.view").count()
    assert client_for(bob).get(reverse("review:result", args=[review.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="draft.view").count() == before


def test_result_page_states_the_real_resolution_not_the_second_sign_off(alice, bob, dave, client_for):
    case = ready_case(alice, draft=MELANOMA)
    first = sign(case, bob, fields=MELANOMA, confirmed=FINDING_FIELDS)
    second = sign(case, dave, fields={**MELANOMA, "color": "dark brown and black"}, confirmed=FINDING_FIELDS)
    assert second.resolution == "concordant" and second.disagreement_fields == ["color"]
    for review in (first, second):
        body = client_for(bob).get(reverse("review:result", args=[review.pk])).content.decode()
        assert body.count("Resolution:</strong> Concordant: both reviewers agreed.") == 1
        assert 'id="disagreement"' in body and "the second sign-off made the case final" not in body
    Review.objects.filter(pk=second.pk).update(resolution="agreed")
    body = client_for(bob).get(reverse("review:result", args=[first.pk])).content.decode()
    assert "Resolution:</strong> Disagreement resolved: the two reviewers agreed on one version." in body


def test_result_page_of_a_single_review_states_no_resolution(alice, bob, client_for):
    review = sign(ready_case(alice), bob)
    assert 'id="resolution"' not in client_for(bob).get(reverse("review:result", args=[review.pk])).content.decode()


def test_every_sign_off_of_a_settled_disagreement_names_all_three_and_compares_the_two_reviewers(
    alice, bob, dave, erin, client_for,
):
    case = disagreeing_case(alice, bob, dave)
    decided = adjudicate(case, erin)
    for review in Review.objects.filter(case=case).order_by("round"):
        body = client_for(erin).get(reverse("review:result", args=[review.pk])).content.decode()
        signed_by = body.split('id="signed-by"')[1].split("</p>")[0]
        assert f"{review.round_label}, signed by {review.reviewer}" in signed_by
        assert "The first review (by bob) and the second (by dave) differ" in body
        assert (f'<td class="human-final">{MELANOMA["lesion_type"]}</td>'
                f'<td class="human-final">{NEVUS["lesion_type"]}</td>') in body
        signers = body.split('id="version-signers"')[1].split("</p>")[0]
        assert "first review by bob" in signers and "second review by dave" in signers
        assert "resolving sign-off by erin" in signers
    assert decided.round_label == "resolving sign-off"
