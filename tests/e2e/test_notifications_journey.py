"""A clinician hears about her cases in the browser: the unread badge in the header, the notification list, the
"Needs my action" filter of the case list, and opening a notification marks it read."""

from __future__ import annotations

from typing import Any

import pytest

from dermreview.review.models import Notification
from dermreview.review.services.ungradable import image_mark_ungradable
from tests.dermreview.review.review_helpers import ready_case, sign
from tests.e2e.journeys import People, text, watch_for_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _badge(page: Any) -> str:
    badge = page.locator("#nav-notifications #unread-badge")
    return text(badge) if badge.count() else ""


def _needs_my_action(page: Any) -> set[str]:
    """The patient references the case list shows with "Needs my action" ticked."""
    page.goto("/cases/")
    page.get_by_label("Needs my action").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/cases/?*needs_action=1*")
    return {text(cell) for cell in page.locator("td[data-label='Patient ref']").all()}


def test_clinician_sees_the_badge_the_list_and_what_needs_her_action(page, login, people: People) -> None:  # noqa: ANN001
    photo = ready_case(people.alice, patient_ref="PHOTO-1")
    image_mark_ungradable(image=photo.images.get(), reviewer=people.bob, reason="blur")
    signed = ready_case(people.alice, patient_ref="SIGNED-1")
    ready_case(people.alice, patient_ref="WAITING-1")
    problems = watch_for_problems(page)

    login(people.alice)
    page.goto("/cases/")
    assert _badge(page) == "1 unread"
    sign(signed, people.bob)  # meanwhile bob signs one of her cases: the next page she opens says so
    page.reload()
    assert _badge(page) == "2 unread"

    page.locator("#nav-notifications").click()
    page.wait_for_url("**/review/notifications/")
    assert text(page.locator("#unread-count")) == "2 unread"
    rows = {text(row.locator("td").nth(1)): row for row in page.locator("#notifications tbody tr").all()}
    assert set(rows) == {f"#{signed.pk} · SIGNED-1", f"#{photo.pk} · PHOTO-1"}
    assert text(rows[f"#{signed.pk} · SIGNED-1"].locator("td").nth(2)) == "Final finding signed"
    assert text(rows[f"#{photo.pk} · PHOTO-1"].locator("td").nth(2)) == "New photo requested"
    assert [text(row.locator("td").nth(3)) for row in rows.values()] == ["Unread", "Unread"]

    assert _needs_my_action(page) == {"SIGNED-1", "PHOTO-1"}  # not WAITING-1: nothing for her to do there

    # Opening the signed case's notification takes her to its final finding and marks it read.
    page.locator("#nav-notifications").click()
    page.get_by_role("button", name=f"Open case #{signed.pk}").click()
    page.wait_for_url(f"**/cases/{signed.pk}/")
    assert text(page.locator("#finding-status")) == "Final"
    assert _badge(page) == "1 unread"
    assert _needs_my_action(page) == {"PHOTO-1"}  # the new photo is still hers to take
    page.locator("#nav-notifications").click()
    statuses = {text(row.locator("td").nth(1)): text(row.locator("td").nth(3))
                for row in page.locator("#notifications tbody tr").all()}
    assert statuses == {f"#{signed.pk} · SIGNED-1": "Read", f"#{photo.pk} · PHOTO-1": "Unread"}
    assert Notification.objects.filter(recipient=people.alice, read_at__isnull=True).count() == 1
    assert problems == []
