"""Two reviewers saving the same case: one wins, the other gets a conflict, nothing typed is lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.urls import reverse

from dermreview.cases.models import CaseStatus
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.errors import ReviewConflict
from dermreview.review.forms import opened_token
from dermreview.review.models import Review
from dermreview.review.services.plan import PlanInput
from dermreview.review.services.signoff import review_sign
from tests.dermreview.review.review_helpers import NEVUS, claim, first_draft, ready_case, sign
from tests.factories import SIGN_PLAN


@pytest.mark.django_db
def test_review_sign_with_stale_lock_version_conflicts_and_returns_the_input(alice, bob, dave):
    case = ready_case(alice)
    stale = case.lock_version
    sign(case, bob, expected_lock_version=stale)
    mine = {**NEVUS, "summary": "Dave's own careful wording of the summary"}
    with pytest.raises(ReviewConflict) as caught:
        sign(case, dave, fields=mine, expected_lock_version=stale)
    assert "Someone else saved this case" in caught.value.message
    assert caught.value.submitted["fields"] == mine and caught.value.current_lock_version == stale + 1
    assert Review.objects.get().reviewer == bob


@pytest.mark.django_db(transaction=True)
def test_review_sign_two_submissions_at_once_one_wins(alice, bob):
    """Real threads, each on its own database connection, release together on a barrier: the claim holder's form
    sent twice at once (two tabs, a double click). Only a claim holder may sign, so this is the race that is left."""
    case = claim(ready_case(alice), bob)
    draft = first_draft(case)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def attempt(reviewer, summary: str) -> None:  # noqa: ANN001
        try:
            barrier.wait(timeout=10)
            outcomes[summary] = review_sign(
                case=case, reviewer=reviewer, fields={**NEVUS, "summary": summary},
                confirmed_fields=FINDING_FIELDS, draft=draft, expected_lock_version=0, attestation=True,
                plan=PlanInput(**SIGN_PLAN),
            )
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            outcomes[summary] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(bob, "first tab's summary")),
               threading.Thread(target=attempt, args=(bob, "second tab's summary"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [v for v in outcomes.values() if isinstance(v, Review)]
    losers = [v for v in outcomes.values() if isinstance(v, ReviewConflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert losers[0].submitted["fields"]["summary"].endswith("summary")
    assert losers[0].submitted["fields"]["summary"] != winners[0].summary
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL and case.lock_version == 1 and Review.objects.count() == 1


@pytest.mark.django_db
def test_review_page_conflict_shows_message_and_keeps_the_losers_text(client, alice, bob, dave):
    case = ready_case(alice)
    draft = first_draft(case)
    form = {
        **NEVUS, "summary": "DAVE-TYPED-THIS summary text", "draft_id": draft.pk, "lock_version": 0,
        "opened": opened_token(case_id=case.pk), "action": "sign", "attestation": "on",
        **{f"confirm_{name}": "on" for name in FINDING_FIELDS}, **SIGN_PLAN,
    }
    client.force_login(bob)
    client.post(reverse("review:claim", args=[case.pk]))
    assert client.post(reverse("review:case", args=[case.pk]), {**form, "summary": NEVUS["summary"]}).status_code == 302
    client.force_login(dave)
    # bob's sign-off came first: dave's form is a version behind, and the lock check says so before anything else.
    response = client.post(reverse("review:case", args=[case.pk]), form)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else saved this case" in body and "DAVE-TYPED-THIS summary text" in body
    assert Review.objects.get().reviewer == bob
