"""Blind-first review: the server withholds the AI draft until the reviewer has recorded their own finding."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dermreview.audit.models import AuditEvent
from dermreview.review.errors import ReviewInvalid, ReviewNotAllowed
from dermreview.review.models import BlindFinding, Review
from dermreview.review.services.blind import blind_finding_record, draft_reveal, draft_visible_to
from tests.dermreview.review.review_helpers import NEVUS, ready_case, sign

pytestmark = pytest.mark.django_db

# Strings only the AI draft contains: none of them may reach a blind reviewer before their own finding is saved.
DISTINCTIVE_DRAFT = {
    "lesion_type": "zebroid naevus variant QX",
    "color": "periwinkle-ochre mottling",
    "symmetry": "trapezoidal asymmetry",
    "borders": "crenellated margin pattern",
    "texture": "velveteen microtexture",
    "summary": "DRAFT-SENTINEL-4471 unusual draft summary",
}
MY_FINDING = {**NEVUS, "summary": "My own blind summary BLIND-8812"}


def test_blind_first_review_page_withholds_every_draft_string(client, alice, bob):
    case = ready_case(alice, draft=DISTINCTIVE_DRAFT, blind_first=True)
    client.force_login(bob)
    before = client.get(reverse("review:case", args=[case.pk])).content.decode()
    assert 'id="start-review-button"' in before and "your own finding" in before and 'id="blind-form"' not in before
    client.post(reverse("review:claim", args=[case.pk]))  # "Start review"
    response = client.get(reverse("review:case", args=[case.pk]))
    body = response.content.decode()
    assert response.status_code == 200 and 'id="blind-form"' in body
    for text in DISTINCTIVE_DRAFT.values():
        assert text not in body and text not in before
    assert "0xAgamy" not in body  # not even the model identity hints that a draft exists
    assert not draft_visible_to(case=case, user=bob)
    assert not AuditEvent.objects.filter(action="draft.view").exists()


def test_blind_first_sign_without_blind_finding_is_refused(alice, bob):
    case = ready_case(alice, blind_first=True)
    with pytest.raises(ReviewNotAllowed) as caught:
        sign(case, bob)
    assert caught.value.code == "blind_entry_required" and not Review.objects.exists()
    with pytest.raises(ReviewNotAllowed):
        draft_reveal(case=case, reviewer=bob)


def test_blind_finding_saved_reveals_the_draft_and_is_audited(client, alice, bob):
    case = ready_case(alice, draft=DISTINCTIVE_DRAFT, blind_first=True)
    client.force_login(bob)
    client.post(reverse("review:claim", args=[case.pk]))
    response = client.post(reverse("review:blind", args=[case.pk]), MY_FINDING)
    assert response.status_code == 302 and response.url == reverse("review:case", args=[case.pk])
    finding = BlindFinding.objects.get(case=case, reviewer=bob)
    assert finding.summary == MY_FINDING["summary"]
    assert AuditEvent.objects.filter(action="draft.revealed_after_blind_entry", actor=bob, case_id=case.pk).exists()
    body = client.get(reverse("review:case", args=[case.pk])).content.decode()
    assert DISTINCTIVE_DRAFT["summary"] in body and 'id="sign-form"' in body and "BLIND-8812" in body
    assert AuditEvent.objects.filter(action="draft.view", actor=bob).exists()


def test_blind_finding_is_linked_to_the_sign_off_and_cannot_be_changed(alice, bob):
    case = ready_case(alice, blind_first=True)
    finding = blind_finding_record(case=case, reviewer=bob, fields=MY_FINDING)
    with pytest.raises(ReviewNotAllowed):
        blind_finding_record(case=case, reviewer=bob, fields=NEVUS)
    review = sign(case, bob)
    assert review.blind_finding == finding
    assert BlindFinding.objects.get().summary == MY_FINDING["summary"]


def test_blind_finding_needs_all_six_fields(alice, bob):
    case = ready_case(alice, blind_first=True)
    with pytest.raises(ReviewInvalid) as caught:
        blind_finding_record(case=case, reviewer=bob, fields={**MY_FINDING, "texture": ""})
    assert set(caught.value.errors) == {"texture"} and not BlindFinding.objects.exists()


def test_blind_entry_is_per_reviewer_until_the_first_sign_off(alice, bob, dave, carol):
    case = ready_case(alice, blind_first=True)
    blind_finding_record(case=case, reviewer=bob, fields=MY_FINDING)
    assert draft_visible_to(case=case, user=bob) and not draft_visible_to(case=case, user=dave)
    assert draft_visible_to(case=case, user=carol)  # an auditor cannot sign, so cannot be biased into one
    sign(case, bob)
    assert draft_visible_to(case=case, user=dave)


def test_ordinary_cases_show_the_draft_and_refuse_blind_entry(alice, bob):
    case = ready_case(alice)
    assert draft_visible_to(case=case, user=bob)
    with pytest.raises(ReviewNotAllowed):
        blind_finding_record(case=case, reviewer=bob, fields=MY_FINDING)
