"""The clinician corrects a photo's capture type (clinical overview or dermoscopic) on the case page before sign-off;
once a reviewer has signed, the page offers no change and a change sent from a page opened earlier is refused."""

from __future__ import annotations

from typing import Any

import pytest

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import CaptureType, LesionImage
from tests.dermreview.review.review_helpers import ready_case, sign
from tests.e2e.journeys import People, disagreeing_case, messages, text, watch_for_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tile(page: Any, image: LesionImage) -> Any:
    return page.locator(f".image-tile[data-image-id='{image.pk}']")


def _choose(page: Any, position: int, label: str) -> None:
    """Pick `label` in photo `position`'s capture type select and press its Save."""
    select = page.get_by_label(f"Capture type of photo {position}")
    select.select_option(label=label)
    select.locator("xpath=ancestor::form").get_by_role("button", name="Save").click()


def test_capture_type_changes_before_sign_off_and_is_locked_after(page, login, people: People) -> None:  # noqa: ANN001
    case = ready_case(people.alice, drafts=2, patient_ref="E2E-CAPTURE")
    first, second = case.images.order_by("created_at", "pk")
    assert (first.capture_type, second.capture_type) == (CaptureType.CLINICAL, CaptureType.DERMOSCOPIC)
    problems = watch_for_problems(page)

    login(people.alice)
    page.goto(f"/cases/{case.pk}/")
    assert text(_tile(page, first).locator(".capture")) == "Clinical (overview)"
    _choose(page, 1, "Dermoscopic")
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert "capture type set to Dermoscopic" in messages(page)
    assert text(_tile(page, first).locator(".capture")) == "Dermoscopic"
    assert page.get_by_label("Capture type of photo 1").input_value() == CaptureType.DERMOSCOPIC
    event = AuditEvent.objects.get(action="image.capture_type_update")
    assert event.details == {"old": "clinical", "new": "dermoscopic"} and event.actor == people.alice

    # bob signs while her page is open: the change she sends next is refused, and the page stops offering it.
    sign(case, people.bob)
    _choose(page, 2, "Clinical (overview)")
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert "The case has a signed finding: its photos' capture types can no longer change." in messages(page)
    assert text(page.locator("#finding-status")) == "Final"
    assert page.locator(".capture-form").count() == 0
    assert text(_tile(page, second).locator(".capture")) == "Dermoscopic"
    second.refresh_from_db()
    assert second.capture_type == CaptureType.DERMOSCOPIC
    assert AuditEvent.objects.filter(action="image.capture_type_update").count() == 1
    assert problems == []


def test_the_confirmation_names_the_photo_as_the_page_numbers_it(page, login, people: People) -> None:  # noqa: ANN001
    ready_case(people.alice, drafts=2, patient_ref="E2E-EARLIER")  # photos of another case come first
    case = ready_case(people.alice, patient_ref="E2E-CAPTURE-MSG")
    login(people.alice)
    page.goto(f"/cases/{case.pk}/")
    _choose(page, 1, "Dermoscopic")
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert "Photo 1: capture type set to Dermoscopic." in messages(page)


def test_capture_type_is_locked_while_the_case_awaits_adjudication(page, login, people: People) -> None:  # noqa: ANN001
    case = disagreeing_case(people, patient_ref="E2E-CAPTURE-ADJ")
    login(people.alice)
    page.goto(f"/cases/{case.pk}/")
    assert text(page.locator("#case-status")) == "Needs adjudication"
    assert page.locator(".capture-form").count() == 0
