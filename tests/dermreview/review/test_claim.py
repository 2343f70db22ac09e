"""Claims: a reviewer holds a case while working on it; the claim expires; others see who holds it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case, CaseStatus
from dermreview.review.errors import ReviewConflict, ReviewNotAllowed, ReviewRoleDenied
from dermreview.review.services.claim import case_claim, case_release
from tests.dermreview.review.review_helpers import MELANOMA, ready_case, sign

pytestmark = pytest.mark.django_db


def test_case_claim_holds_the_case_until_it_expires(alice, bob, settings):
    settings.DERMREVIEW_CLAIM_MINUTES = 20
    case = ready_case(alice)
    before = timezone.now()
    case_claim(case=case, user=bob)
    assert case.claimed_by == bob and case.display_status == "In review"
    assert before + timedelta(minutes=19) < case.claim_expires_at <= timezone.now() + timedelta(minutes=20)
    assert case.lock_version == 0  # a claim is not a review write
    assert AuditEvent.objects.filter(action="case.claim", actor=bob, case_id=case.pk).count() == 1
    case_claim(case=case, user=bob)  # renewing is silent
    assert AuditEvent.objects.filter(action="case.claim").count() == 1


def test_case_claim_by_another_reviewer_conflicts_naming_the_holder(alice, bob, dave):
    case = ready_case(alice)
    case_claim(case=case, user=bob)
    with pytest.raises(ReviewConflict) as caught:
        case_claim(case=Case.objects.get(pk=case.pk), user=dave)
    assert caught.value.holder == bob and "bob is reviewing this case" in caught.value.message
    assert Case.objects.get(pk=case.pk).claimed_by == bob


def test_case_claim_expired_claim_can_be_taken_over(alice, bob, dave):
    case = ready_case(alice)
    case_claim(case=case, user=bob)
    Case.objects.filter(pk=case.pk).update(claim_expires_at=timezone.now() - timedelta(seconds=1))
    case_claim(case=Case.objects.get(pk=case.pk), user=dave)
    assert Case.objects.get(pk=case.pk).claimed_by == dave


def test_case_claim_blocks_someone_elses_sign_off(alice, bob, dave):
    case = ready_case(alice)
    case_claim(case=case, user=bob)
    with pytest.raises(ReviewConflict) as caught:
        sign(case, dave)
    assert caught.value.holder == bob and caught.value.submitted["fields"]
    review = sign(case, bob)
    case.refresh_from_db()
    assert review.reviewer == bob and case.claimed_by is None  # signing releases the claim


def test_case_claim_only_for_reviewers_and_cases_waiting_for_a_sign_off(alice, bob, carol):
    case = ready_case(alice)
    with pytest.raises(ReviewRoleDenied):
        case_claim(case=case, user=alice)
    with pytest.raises(ReviewRoleDenied):
        case_claim(case=case, user=carol)
    # A final case may be claimed (to amend it); a case still waiting for photos may not.
    empty = ready_case(alice, status=CaseStatus.NEW)
    with pytest.raises(ReviewNotAllowed):
        case_claim(case=empty, user=bob)


def test_case_release_frees_the_case_and_is_audited(alice, bob, dave):
    case = ready_case(alice)
    case_claim(case=case, user=bob)
    with pytest.raises(ReviewNotAllowed):
        case_release(case=Case.objects.get(pk=case.pk), user=dave)
    case_release(case=case, user=bob)
    assert case.claimed_by is None and case.claim_expires_at is None
    assert AuditEvent.objects.filter(action="case.release", actor=bob).exists()
    case_claim(case=case, user=dave)
    assert case.claimed_by == dave


def test_review_page_get_never_claims_even_from_another_sites_link(client, alice, bob):
    case = ready_case(alice)
    client.force_login(bob)
    response = client.get(reverse("review:case", args=[case.pk]), HTTP_REFERER="https://evil.example/phish",
                          HTTP_SEC_FETCH_SITE="cross-site")
    body = response.content.decode()
    assert response.status_code == 200 and 'id="start-review-button"' in body and 'id="sign-form"' not in body
    case.refresh_from_db()
    assert case.claimed_by is None and case.claimed_at is None
    assert not AuditEvent.objects.filter(action="case.claim").exists()
    assert not AuditEvent.objects.filter(action="draft.view").exists()  # nothing shown: nothing recorded


def test_start_review_without_a_csrf_token_is_refused(alice, bob):
    case = ready_case(alice)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(bob)
    assert browser.post(reverse("review:claim", args=[case.pk])).status_code == 403
    assert browser.post(reverse("review:release_all")).status_code == 403
    assert Case.objects.get(pk=case.pk).claimed_by is None
    assert not AuditEvent.objects.filter(action="case.claim").exists()


def test_start_review_claims_and_shows_the_form_and_the_holder_to_others(client, alice, bob, dave):
    case = ready_case(alice)
    client.force_login(bob)
    assert client.get(reverse("review:claim", args=[case.pk])).status_code == 405  # a GET never claims
    response = client.post(reverse("review:claim", args=[case.pk]))
    assert response.status_code == 302 and response.url == reverse("review:case", args=[case.pk]) + "#review-work"
    case.refresh_from_db()
    assert case.claimed_by == bob and case.claimed_at is not None
    assert AuditEvent.objects.filter(action="case.claim", actor=bob, case_id=case.pk).count() == 1
    body = client.get(reverse("review:case", args=[case.pk])).content.decode()
    assert "You have claimed this case" in body and 'id="sign-form"' in body and 'id="release-button"' in body
    client.force_login(dave)
    body = client.get(reverse("review:case", args=[case.pk])).content.decode()
    assert "In review by bob" in body and 'id="sign-form"' not in body and 'id="start-review-button"' not in body
    refused = client.post(reverse("review:claim", args=[case.pk]))
    assert refused.status_code == 409 and "bob is reviewing this case" in refused.content.decode()
    queue = client.get(reverse("review:queue")).content.decode()
    assert "bob" in queue and "until" in queue


def test_release_view_returns_case_to_the_queue(client, alice, bob):
    case = ready_case(alice)
    client.force_login(bob)
    client.post(reverse("review:claim", args=[case.pk]))
    response = client.post(reverse("review:release", args=[case.pk]))
    assert response.status_code == 302 and response.url == reverse("review:queue")
    case.refresh_from_db()
    assert case.claimed_by is None and case.claimed_at is None


def test_release_all_my_claims_from_the_queue(client, alice, bob, dave):
    mine = [ready_case(alice), ready_case(alice)]
    theirs = ready_case(alice)
    for case in mine:
        case_claim(case=case, user=bob)
    case_claim(case=theirs, user=dave)
    client.force_login(bob)
    assert "Release all my claims (2)" in client.get(reverse("review:queue")).content.decode()
    response = client.post(reverse("review:release_all"))
    assert response.status_code == 302 and response.url == reverse("review:queue")
    assert not Case.objects.filter(claimed_by=bob).exists()
    assert Case.objects.get(pk=theirs.pk).claimed_by == dave
    assert AuditEvent.objects.filter(action="case.release", actor=bob).count() == 2
    assert 'id="release-all-button"' not in client.get(reverse("review:queue")).content.decode()


def test_claim_start_is_kept_on_renewal_and_restarts_after_expiry(alice, bob, dave):
    case = ready_case(alice)
    case_claim(case=case, user=bob)
    started = timezone.now() - timedelta(minutes=5)
    Case.objects.filter(pk=case.pk).update(claimed_at=started)
    case_claim(case=case, user=bob)  # "Extend": the review started five minutes ago, still
    assert case.claimed_at == started
    Case.objects.filter(pk=case.pk).update(claim_expires_at=timezone.now() - timedelta(seconds=1))
    case_claim(case=case, user=bob)  # the claim lapsed: a new one starts now
    assert case.claimed_at > started + timedelta(minutes=4)
    Case.objects.filter(pk=case.pk).update(claim_expires_at=timezone.now() - timedelta(seconds=1))
    case_claim(case=case, user=dave)
    assert case.claimed_by == dave and case.claimed_at > started + timedelta(minutes=4)


def test_case_claim_refused_to_the_first_signer_of_a_high_risk_case(alice, bob, dave):
    case = ready_case(alice, draft=MELANOMA)
    sign(case, bob)
    case.refresh_from_db()
    with pytest.raises(ReviewNotAllowed) as caught:
        case_claim(case=case, user=bob)
    assert caught.value.code == "same_reviewer" and Case.objects.get(pk=case.pk).claimed_by is None
    case_claim(case=case, user=dave)
    assert case.claimed_by == dave
