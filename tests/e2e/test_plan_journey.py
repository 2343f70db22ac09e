"""The management plan in the browser: refused without one, "Monitor" in 3 months, then on the follow-up list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from dermreview.cases.models import CaseStatus
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.models import Review
from dermreview.review.services.plan import add_months
from tests.dermreview.review.review_helpers import ready_case
from tests.e2e.journeys import People, watch_for_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plan_is_required_then_monitor_in_three_months_lands_on_the_follow_up_list(page, login, people: People) -> None:  # noqa: ANN001
    from dermreview.cases.models import Lesion, Patient

    patient = Patient.objects.create(organisation=people.alice.organisation, reference="PT-PLAN-E2E")
    lesion = Lesion.objects.create(patient=patient, body_site="back", label="L1 mole")
    case = ready_case(people.alice, lesion=lesion, patient=patient, patient_ref=patient.reference)
    problems = watch_for_problems(page)
    login(people.bob)
    page.goto(f"/review/cases/{case.pk}/")
    page.locator("#start-review-button").click()
    page.wait_for_url(f"**/review/cases/{case.pk}/#review-work")
    for field in FINDING_FIELDS:
        page.check(f"#id_confirm_{field}")
    page.check("#id_attestation")
    page.click("#sign-button")  # no plan: refused, the input kept
    page.wait_for_load_state()
    assert "Choose a management plan: this sign-off makes the finding final." in page.locator("#plan-fields").inner_text()
    assert not Review.objects.filter(case=case).exists()
    problems.remove(next(p for p in problems if p.startswith("400 ")))  # the refusal provoked on purpose
    assert page.is_checked("#id_confirm_summary")

    page.locator("#follow-up-3m").click()  # "3 months": sets the date and chooses "Monitor"
    due = add_months(timezone.localdate(), 3)
    assert page.input_value("#id_follow_up_on") == due.isoformat()
    assert page.get_by_label("Monitor: follow-up visit").is_checked()
    if not page.is_checked("#id_attestation"):
        page.check("#id_attestation")
    page.click("#sign-button")
    page.wait_for_url(re.compile(r"/review/reviews/\d+/$"))
    review = Review.objects.get(case=case)
    assert (review.management_plan, review.follow_up_on, review.change_since_previous) == ("monitor", due, "new")
    assert f"Monitor: follow-up visit, follow-up visit due {due.isoformat()}" in page.locator("#review-plan").inner_text()
    case.refresh_from_db()
    assert case.status == CaseStatus.FINAL

    # alice, the clinician, finds it under Follow-up: not due within 30 days, so not on either tab yet...
    page.locator(".whoami button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/"))
    login(people.alice)
    page.locator("#nav-follow-up").click()
    page.wait_for_url("**/patients/follow-up/")
    assert "No follow-up is due in the next 30 days." in page.locator("main").inner_text()
    # ...until the date comes near (the reviewer's date, moved as time passes).
    Review.objects.filter(pk=review.pk).update(follow_up_on=timezone.localdate() + timedelta(days=7))
    page.reload()
    row = page.locator(f"#follow-up-table tr[data-lesion='{lesion.pk}']")
    assert "PT-PLAN-E2E" in row.inner_text() and "7 days" in row.inner_text() and f"Case #{case.pk}" in row.inner_text()
    assert problems == []
