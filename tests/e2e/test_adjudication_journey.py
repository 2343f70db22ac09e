"""A dual-review disagreement on the lesion class settled in the browser: by a third reviewer who sees both signed
versions and decides, and by the two reviewers agreeing on one version. The final says how it was resolved."""

from __future__ import annotations

from typing import Any

import pytest

from dermreview.cases.models import CaseStatus
from dermreview.review.models import Review
from tests.dermreview.review.review_helpers import MELANOMA, NEVUS
from tests.e2e.journeys import (
    People,
    adjudicated_case,
    disagreeing_case,
    messages,
    switch_user,
    text,
    watch_for_problems,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_adjudication_from_queue(page: Any, case_pk: int) -> None:
    page.goto("/review/")
    assert "1 need adjudication" in text(page.locator("#queue-counts"))
    row = page.locator(f"#review-queue tr[data-case-id='{case_pk}']")
    assert text(row.locator(".status")) == "Needs adjudication"
    row.get_by_role("link", name="Adjudicate").click()
    page.wait_for_url(f"**/review/cases/{case_pk}/adjudicate/")


def _clinician_sees_resolution(page: Any, case_pk: int) -> str:
    """The clinician's case page: the final, and how the disagreement was settled (returned: the signers line)."""
    page.goto(f"/cases/{case_pk}/")
    assert text(page.locator("#finding-status")) == "Final"
    disagreement = text(page.locator("#finding-disagreement"))
    assert "The two reviewers disagreed" in disagreement and "the resolution above says how" in disagreement
    return text(page.locator("#signers"))


def test_third_reviewer_sees_both_versions_decides_and_the_final_says_so(page, login, people: People) -> None:  # noqa: ANN001
    case = disagreeing_case(people, patient_ref="E2E-ADJ")
    problems = watch_for_problems(page)

    # The clinician sees the case is waiting for adjudication, and no finding yet.
    login(people.alice)
    page.goto(f"/cases/{case.pk}/")
    assert text(page.locator("#finding-status")) == "Needs adjudication"
    assert page.locator("#final-finding").count() == 0

    switch_user(page, login, people.erin)
    _open_adjudication_from_queue(page, case.pk)
    disagreement = text(page.locator("#disagreement"))
    assert "the first review (by bob) and the second (by dave) disagree on the lesion class" in disagreement
    lesion_row = page.locator("#adjudication-table tr[data-field=lesion_type]")
    assert "differs" in text(lesion_row.locator("th"))
    assert [text(cell) for cell in lesion_row.locator("td").all()] == [MELANOMA["lesion_type"], NEVUS["lesion_type"]]
    assert page.locator("#adjudication-table tr.differs").count() == 6  # melanoma and naevus differ everywhere

    form = page.locator("#adjudication-form")
    for name, value in MELANOMA.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("[name=attestation]").check()
    form.get_by_role("button", name="Sign the adjudication").click()
    page.wait_for_url("**/review/reviews/*/")
    assert "Adjudication signed. Your finding settles the disagreement: the case is final." in messages(page)
    assert text(page.locator("#case-status")) == "Final"
    assert text(page.locator("#resolution")) == "Resolution: Disagreement adjudicated by a third reviewer."
    assert "signed by erin" in text(page.locator("#signed-by"))

    switch_user(page, login, people.alice)
    signers = _clinician_sees_resolution(page, case.pk)
    assert text(page.locator("#finding-resolution")) == "Resolution: Disagreement adjudicated by a third reviewer."
    assert MELANOMA["summary"] in text(page.locator("#final-finding"))
    assert "bob (first review" in signers and "dave (second review" in signers and "erin (resolving sign-off" in signers
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL
    assert problems == []


def test_the_two_reviewers_agree_on_one_version_and_the_final_says_so(page, login, people: People) -> None:  # noqa: ANN001
    case = disagreeing_case(people, patient_ref="E2E-AGREE")
    problems = watch_for_problems(page)

    # dave, the second reviewer, accepts bob's finding instead of his own.
    login(people.dave)
    _open_adjudication_from_queue(page, case.pk)
    assert "You signed one of these two findings" in text(page.locator("#adjudication-own"))
    assert page.locator("#adjudication-form").count() == 0  # he cannot adjudicate his own disagreement
    page.get_by_role("button", name="Accept bob's finding").click()
    page.wait_for_url(f"**/review/cases/{case.pk}/adjudicate/")
    assert "The case stays in adjudication until the other reviewer confirms it." in messages(page)
    assert text(page.locator("#agreement-proposal")) == (
        "You proposed settling on the first review's finding. It waits for bob to agree.")
    assert page.locator("#agreement-confirm").count() == 0  # the proposer cannot agree to it himself
    assert text(page.locator("#case-status")) == "Needs adjudication"

    # bob agrees.
    switch_user(page, login, people.bob)
    page.goto(f"/review/cases/{case.pk}/adjudicate/")
    assert text(page.locator("#agreement-proposal")) == "dave proposed settling on the first review's finding."
    confirm = page.locator("#agreement-confirm-form")
    confirm.locator("[name=attestation]").check()
    confirm.get_by_role("button", name="Agree").click()
    page.wait_for_url("**/review/reviews/*/")
    assert "Both reviewers agree on one finding: the case is final." in messages(page)
    assert text(page.locator("#resolution")) == (
        "Resolution: Disagreement resolved: the two reviewers agreed on one version.")

    switch_user(page, login, people.alice)
    signers = _clinician_sees_resolution(page, case.pk)
    assert text(page.locator("#finding-resolution")) == (
        "Resolution: Disagreement resolved: the two reviewers agreed on one version.")
    assert MELANOMA["summary"] in text(page.locator("#final-finding"))  # bob's (round 1) version stands
    assert "bob (resolving sign-off" in signers
    agreed = Review.objects.get(case=case, round=3)
    assert (agreed.reviewer, agreed.resolution, agreed.lesion_type) == (people.bob, "agreed", MELANOMA["lesion_type"])
    assert problems == []


def test_clinician_is_told_the_case_awaits_adjudication(page, login, people: People) -> None:  # noqa: ANN001
    case = disagreeing_case(people, patient_ref="E2E-ADJ-WAIT")
    login(people.alice)
    page.goto(f"/cases/{case.pk}/")
    pending = text(page.locator("#finding-pending"))
    assert "add photos" not in pending and "adjudicat" in pending


def test_after_adjudication_the_second_reviewers_own_version_is_shown(page, login, people: People) -> None:  # noqa: ANN001
    case, review = adjudicated_case(people)
    login(people.alice)
    page.goto(f"/cases/{case.pk}/")
    disagreement = text(page.locator("#finding-disagreement"))
    assert f"second review “{NEVUS['lesion_type']}”" in disagreement
    switch_user(page, login, people.erin)
    page.goto(f"/review/reviews/{review.pk}/")
    assert "first review, signed by erin" not in text(page.locator("#signed-by"))
    assert "the second (by dave)" in text(page.locator("#disagreement"))
