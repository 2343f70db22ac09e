""""Sign and open next": after a sign-off, the next case the reviewer could take, read-only, "Start review" focused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dermreview.cases.models import Case
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.forms import opened_token
from tests import factories
from tests.dermreview.review.review_helpers import NEVUS, claim, first_draft, ready_case, sign

pytestmark = pytest.mark.django_db


def _sign_post(client, case, reviewer, *, then_next: bool):  # noqa: ANN001, ANN202
    claim(case, reviewer)
    case.refresh_from_db()
    data = {**NEVUS, "action": "sign", "attestation": "on", "lock_version": case.lock_version,
            "draft_id": first_draft(case).pk,
            "opened": opened_token(case_id=case.pk, opened_at=timezone.now() - timedelta(seconds=30)),
            **{f"confirm_{name}": "on" for name in FINDING_FIELDS}, **factories.SIGN_PLAN}
    url = reverse("review:case", args=[case.pk]) + ("?then=next" if then_next else "")
    return client.post(url, data)


def _days_ago(days: int):  # noqa: ANN202
    return timezone.now() - timedelta(days=days)


def test_sign_and_next_opens_the_next_case_in_queue_order_without_claiming_it(client_for, alice, bob):
    current = ready_case(alice, created_at=_days_ago(3))
    following = ready_case(alice, created_at=_days_ago(2))
    ready_case(alice, created_at=_days_ago(1))
    response = _sign_post(client_for(bob), current, bob, then_next=True)
    assert response.status_code == 302
    assert response.url == reverse("review:case", args=[following.pk]) + "#start-review"
    assert Case.objects.get(pk=following.pk).claimed_by is None  # read-only until the reviewer presses Start


def test_sign_and_next_skips_cases_others_hold_and_ones_the_reviewer_signed_first(client_for, alice, bob, dave):
    current = ready_case(alice, created_at=_days_ago(4))
    held = ready_case(alice, created_at=_days_ago(3))
    claim(held, dave)
    own_first = ready_case(alice, created_at=_days_ago(2), draft={**NEVUS, "lesion_type": "melanoma"})
    sign(own_first, bob, fields={**NEVUS, "lesion_type": "melanoma"})  # high-risk: waits for a second reviewer
    assert Case.objects.get(pk=own_first.pk).status == "needs_second_review"
    free = ready_case(alice, created_at=_days_ago(1))
    response = _sign_post(client_for(bob), current, bob, then_next=True)
    assert response.url == reverse("review:case", args=[free.pk]) + "#start-review"


def test_sign_and_next_with_an_empty_queue_goes_to_the_queue(client_for, alice, bob):
    only = ready_case(alice)
    response = _sign_post(client_for(bob), only, bob, then_next=True)
    assert response.status_code == 302 and response.url == reverse("review:queue")


def test_plain_sign_still_shows_the_result(client_for, alice, bob):
    case = ready_case(alice)
    ready_case(alice)
    response = _sign_post(client_for(bob), case, bob, then_next=False)
    assert response.status_code == 302 and "/review/reviews/" in response.url


def test_review_form_offers_sign_and_open_next(client_for, alice, bob):
    case = claim(ready_case(alice), bob)
    page = client_for(bob).get(reverse("review:case", args=[case.pk])).content.decode()
    assert 'id="sign-next-button"' in page and "?then=next" in page
    assert "js/review_keys.js" in page and "js/viewer.js" in page
