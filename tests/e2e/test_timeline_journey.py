"""A lesion's timeline in a real browser: from the patient's body map to the lesion, its visits newest first with
their photos and signed findings, a new visit opened from it, and back from the case page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from dermreview.cases.models import Case
from tests.dermreview.lesions.patient_helpers import lesion_of, patient_of, signed_visit, visit
from tests.e2e.journeys import text, watch_for_problems
from tests.factories import LesionImageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clinician_follows_a_lesion_through_its_visits(page: Any, login: Any, people: Any) -> None:
    patient = patient_of(people.alice, "PT-TIMELINE")
    lesion = lesion_of(patient, label="L1 back", map_view="back", map_x=0.45, map_y=0.35)
    first = signed_visit(lesion, people.alice, people.bob, plan="monitor", days_ago=180,
                         follow_up_on=timezone.localdate() - timedelta(days=90), lesion_type="melanocytic nevus",
                         change_since_previous="new")
    second = signed_visit(lesion, people.alice, people.bob, plan="monitor", days_ago=90,
                          follow_up_on=timezone.localdate() - timedelta(days=1), lesion_type="dysplastic nevus",
                          change_since_previous="changed", change_aspects=["size"])
    for case in (first, second, second):
        LesionImageFactory(case=case, uploaded_by=people.alice)
    problems = watch_for_problems(page)
    login(people.alice)

    # From the patient's body map: the marker says the follow-up is due, and leads to the timeline.
    page.goto(f"/patients/{patient.pk}/")
    marker = page.locator(f"a.marker[data-lesion-id='{lesion.pk}']")
    assert marker.get_attribute("aria-label") == "L1 L1 back: Follow-up due"
    marker.click()
    page.wait_for_url(f"**/patients/lesions/{lesion.pk}/")
    visits = page.locator("#timeline > li.visit")
    assert [v.get_attribute("data-case-id") for v in visits.all()] == [str(second.pk), str(first.pk)]
    newest = visits.nth(0)
    assert newest.locator(".visit-photos img").count() == 2
    assert all(img.evaluate("i => i.complete && i.naturalWidth > 0") for img in newest.locator("img").all())
    assert text(newest.locator(".finding-lesion-type")) == "dysplastic nevus"
    assert text(newest.locator(".finding-change")) == "Changed (size)"
    assert "Monitor: follow-up visit" in text(newest.locator(".finding-plan"))

    # A new visit of this lesion: the case form knows the lesion, and the new visit tops the timeline.
    page.get_by_role("link", name="New visit of this lesion").click()
    assert "PT-TIMELINE" in text(page.locator("#visit-of-lesion"))
    page.fill("#id_clinical_notes", "Six-month check.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/cases/*/")
    third = Case.objects.get(lesion=lesion, clinical_notes="Six-month check.")
    page.locator("#lesion-timeline-link").click()
    page.wait_for_url(f"**/patients/lesions/{lesion.pk}/")
    assert [v.get_attribute("data-case-id") for v in page.locator("#timeline > li.visit").all()] == [
        str(third.pk), str(second.pk), str(first.pk)]
    assert "No final finding yet" in text(page.locator(f"#visit-{third.pk}"))
    # The follow-up visit happened: the lesion is no longer "follow-up due" but waits for this visit's review.
    assert text(page.locator("#lesion-status")) == "Awaiting review"
    page.locator("#patient-link").click()
    page.wait_for_url(f"**/patients/{patient.pk}/")
    assert problems == []


def test_reviewer_reads_a_timeline_from_the_case_page(page: Any, login: Any, people: Any) -> None:
    lesion = lesion_of(patient_of(people.alice, "PT-TL-REVIEW"), label="L2")
    older = signed_visit(lesion, people.alice, people.bob, days_ago=30)
    newer = visit(lesion, people.alice)
    login(people.bob)
    page.goto(f"/cases/{older.pk}/")
    page.locator("#lesion-timeline-link").click()
    page.wait_for_url(f"**/patients/lesions/{lesion.pk}/")
    assert [v.get_attribute("data-case-id") for v in page.locator("#timeline > li.visit").all()] == [
        str(newer.pk), str(older.pk)]
    assert page.get_by_role("link", name="New visit of this lesion").count() == 0
