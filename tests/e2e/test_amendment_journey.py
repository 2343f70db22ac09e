"""Amending a final finding in the browser: "Start amendment", edit, sign; while the amendment waits for its second
reviewer the clinician still sees the last signed finding, marked "amendment in progress"; once it is signed the old
version is shown as superseded."""

from __future__ import annotations

from typing import Any

import pytest

from dermreview.cases.models import CaseStatus
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.models import Review
from dermreview.review.services.signoff import review_amend
from tests.dermreview.review.review_helpers import MELANOMA, NEVUS, claim, sign
from tests.e2e.journeys import (
    People,
    final_case,
    messages,
    start_and_sign,
    switch_user,
    text,
    watch_for_problems,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Regression structures seen on a second look at the dermoscopic photo"


def _amend_to_melanoma(page: Any, case_pk: int, review_pk: int) -> None:
    """From the case page: "Amend the finding", "Start amendment", type the melanoma finding and a reason, sign."""
    page.goto(f"/cases/{case_pk}/")
    page.locator("#amend-link").click()
    page.wait_for_url(f"**/review/reviews/{review_pk}/amend/")
    assert page.locator("#amend-form").count() == 0  # nothing to edit before the amendment is started
    page.get_by_role("button", name="Start amendment").click()
    page.wait_for_url(f"**/review/reviews/{review_pk}/amend/")
    assert "You have claimed this case" in text(page.locator("#claim-state"))
    form = page.locator("#amend-form")
    assert form.locator("[name=summary]").input_value() == NEVUS["summary"]  # starts from the signed version
    for name, value in MELANOMA.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("[name=reason]").fill(REASON)
    form.locator("[name=attestation]").check()
    form.get_by_role("button", name="Sign the amendment").click()
    page.wait_for_url("**/review/reviews/*/")


def test_amendment_keeps_the_signed_finding_until_its_second_review_then_supersedes_it(
    page, login, people: People,  # noqa: ANN001
) -> None:
    case, original = final_case(people, patient_ref="E2E-AMEND")
    problems = watch_for_problems(page)

    # --- bob amends his own final finding from the case page --------------------------------------------------------
    login(people.bob)
    _amend_to_melanoma(page, case.pk, original.pk)
    assert "second, different reviewer" in messages(page)
    assert text(page.locator("#case-status")) == "Needs second review"

    # --- alice still sees version 1 as the current finding, marked "amendment in progress" ------------------------
    switch_user(page, login, people.alice)
    page.goto(f"/cases/{case.pk}/")
    final = text(page.locator("#final-finding"))
    assert "Human-confirmed finding version 1" in final and NEVUS["summary"] in final
    in_progress = text(page.locator("#amendment-in-progress"))
    assert in_progress.startswith("Amendment in progress. bob signed version 2")
    assert "it needs a second, different reviewer. Until then this version 1 stays the current finding." in in_progress
    assert MELANOMA["summary"] not in text(page.locator("#case-finding"))  # the unconfirmed amendment is no finding

    # --- dave signs the amendment's second review -------------------------------------------------------------------
    switch_user(page, login, people.dave)
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("link", name="Open the amendment for second review").click()
    page.wait_for_url(f"**/review/cases/{case.pk}/")
    # The second reviewer assesses independently (the form starts from the AI draft): he names melanoma too.
    start_and_sign(page, case.pk, fields=MELANOMA)
    assert text(page.locator("#case-status")) == "Final"

    # --- alice now sees version 2, and version 1 marked superseded ----------------------------------------------------
    switch_user(page, login, people.alice)
    page.goto(f"/cases/{case.pk}/")
    final = text(page.locator("#final-finding"))
    assert "Human-confirmed finding version 2 (supersedes version 1, now marked superseded)" in final
    assert MELANOMA["summary"] in final and NEVUS["summary"] not in final
    assert page.locator("#amendment-in-progress").count() == 0
    assert "1 earlier sign-off superseded by amendment" in text(page.locator("#case-finding"))
    case.refresh_from_db()
    original.refresh_from_db()
    assert case.status == CaseStatus.FINAL and original.voided_at is not None
    assert Review.objects.filter(case=case, version=2, voided_at__isnull=True).count() == 2
    assert problems == []


def test_a_high_risk_amendment_says_it_needs_a_second_reviewer(page, login, people: People) -> None:  # noqa: ANN001
    case, original = final_case(people, patient_ref="E2E-AMEND-MSG")
    login(people.bob)
    _amend_to_melanoma(page, case.pk, original.pk)
    assert text(page.locator("#case-status")) == "Needs second review"
    assert "supersedes" not in messages(page) and "second, different reviewer" in messages(page)


def test_the_reason_of_a_dual_reviewed_amendment_stays_on_the_case_page(page, login, people: People) -> None:  # noqa: ANN001
    case, original = final_case(people, patient_ref="E2E-AMEND-WHY")
    claim(case, people.bob)
    review_amend(review=original, reviewer=people.bob, fields=MELANOMA, reason=REASON,
                 expected_lock_version=case.lock_version, attestation=True)
    sign(case, people.dave, fields=MELANOMA, confirmed=FINDING_FIELDS)
    login(people.alice)
    page.goto(f"/cases/{case.pk}/")
    assert "supersedes version 1" in text(page.locator("#final-finding"))
    assert f"Amended: {REASON}." in text(page.locator("#signers"))
