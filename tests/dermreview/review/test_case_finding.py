"""The case page's finding panel once more than one reviewer is involved: a disagreement awaiting adjudication, a
settled disagreement (all three sign-offs, and the two reviewers' own versions compared), and the reason of an
amendment that needed a second reviewer."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from dermreview.drafting.models import FINDING_FIELDS
from dermreview.drafting.models.fields import FIELD_LABELS
from dermreview.review.selectors.case_page import case_page
from dermreview.review.services.signoff import review_amend
from tests.dermreview.review.review_helpers import (
    MELANOMA,
    NEVUS,
    adjudicate,
    claim,
    disagreeing_case,
    ready_case,
    sign,
)

pytestmark = pytest.mark.django_db

REASON = "Regression structures seen on a second look"


def _panel(client: Any, case: Any) -> str:
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    return body.split('id="case-finding"')[1].split("</section>")[0]


def test_the_clinician_is_told_the_case_awaits_adjudication_and_shown_nothing_as_final(client_for, alice, bob, dave):
    case = disagreeing_case(alice, bob, dave)
    panel = _panel(client_for(alice), case)
    assert "add photos" not in panel
    assert "The two reviewers (bob, first review; dave, second review) disagree" in panel
    assert "awaits adjudication: a third reviewer decides, or the two reviewers agree" in panel
    assert "There is no final finding yet." in panel
    assert 'id="final-finding"' not in panel and 'id="signers"' not in panel
    assert MELANOMA["summary"] not in panel and NEVUS["summary"] not in panel
    assert reverse("review:adjudicate", args=[case.pk]) not in panel  # the clinician does not adjudicate


def test_a_reviewer_is_offered_the_adjudication_from_the_case_page(client_for, alice, bob, dave):
    case = disagreeing_case(alice, bob, dave)
    assert reverse("review:adjudicate", args=[case.pk]) in _panel(client_for(bob), case)


def test_a_settled_finding_shows_all_three_sign_offs_and_compares_the_two_reviewers(
    client_for, alice, bob, dave, erin,
):
    case = disagreeing_case(alice, bob, dave)
    adjudicate(case, erin)
    finding = case_page(user=alice, case=case).finding
    assert [(s.reviewer, s.round_label) for s in finding.signers] == [
        ("bob", "first review"), ("dave", "second review"), ("erin", "resolving sign-off")]
    compared = {d.label: (d.first, d.second) for d in finding.disagreement}
    assert compared[FIELD_LABELS["lesion_type"]] == (MELANOMA["lesion_type"], NEVUS["lesion_type"])
    assert len(compared) == len(FINDING_FIELDS)  # melanoma and naevus differ in every field
    panel = _panel(client_for(alice), case)
    assert f"first review “{MELANOMA['lesion_type']}”, second review “{NEVUS['lesion_type']}”" in panel
    assert "bob (first review" in panel and "dave (second review" in panel and "erin (resolving sign-off" in panel


def test_the_reason_of_an_amendment_signed_by_two_reviewers_stays_on_the_case_page(client_for, alice, bob, dave):
    case = ready_case(alice)
    original = sign(case, bob)
    claim(case, bob)
    review_amend(review=original, reviewer=bob, fields=MELANOMA, reason=REASON,
                 expected_lock_version=case.lock_version, attestation=True)
    sign(case, dave, fields=MELANOMA, confirmed=FINDING_FIELDS)
    finding = case_page(user=alice, case=case).finding
    assert (finding.final.version, finding.final.round, finding.amendment_reason) == (2, 2, REASON)
    panel = _panel(client_for(alice), case)
    assert "supersedes version 1" in panel and f"Amended: {REASON}." in panel


def test_an_amendment_whose_reviewers_disagree_keeps_the_signed_version_and_says_it_awaits_adjudication(
    client_for, alice, bob, dave,
):
    case = ready_case(alice)
    original = sign(case, bob)
    claim(case, bob)
    review_amend(review=original, reviewer=bob, fields=MELANOMA, reason=REASON,
                 expected_lock_version=case.lock_version, attestation=True)
    sign(case, dave, fields=NEVUS, confirmed=FINDING_FIELDS)
    case.refresh_from_db()
    assert case.status == "needs_adjudication"
    panel = _panel(client_for(alice), case)
    assert 'id="final-finding"' in panel and original.summary in panel
    assert "its two reviewers disagree, so it awaits adjudication" in panel
    assert "it needs a second, different reviewer" not in panel
