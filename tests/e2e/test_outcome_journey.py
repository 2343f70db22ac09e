"""A clinician records a lesion's histopathology outcome; a reviewer corrects it (void with a reason, record anew);
the auditor sees the outcome without a form."""

from __future__ import annotations

from typing import Any

import pytest

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import BodySite, DiagnosisClass, Lesion, LesionOutcome, Patient
from tests.e2e.journeys import People, messages, switch_user, text, watch_for_problems
from tests.factories import diagnosis_vocabulary_seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _lesion(people: People) -> Lesion:
    if not DiagnosisClass.objects.filter(organisation__isnull=True).exists():
        diagnosis_vocabulary_seed()  # a transactional test's flush removed the migration's rows
    patient = Patient.objects.create(organisation=people.alice.organisation, reference="E2E-OUTCOME")
    return Lesion.objects.create(patient=patient, body_site=BodySite.BACK, laterality="left", label="L1 back")


def _record(page: Any, *, diagnosis: str, day: str, lab: str, confirm: str = "Histopathology") -> None:
    form = page.locator("#outcome-form")
    form.get_by_label("Diagnosis:", exact=True).select_option(label=diagnosis)
    form.get_by_label("Date of diagnosis").fill(day)
    form.get_by_label("Confirmed by").select_option(label=confirm)
    form.get_by_label("Laboratory reference").fill(lab)
    form.get_by_role("button", name="Record outcome").click()


def test_outcome_entry_and_correction(page, login, people: People) -> None:  # noqa: ANN001
    lesion = _lesion(people)
    melanoma = DiagnosisClass.objects.filter(organisation__isnull=True, high_risk=True, active=True).first()
    benign = DiagnosisClass.objects.filter(organisation__isnull=True, high_risk=False, active=True).first()
    problems = watch_for_problems(page)
    login(people.alice)
    page.goto(f"/patients/lesions/{lesion.pk}/outcome/")
    assert text(page.locator(".outcome-none")) == "No outcome recorded yet."

    _record(page, diagnosis=melanoma.name, day="2099-01-01", lab="HP-1")  # a future date: refused in place
    assert "The date of the diagnosis cannot be in the future." in text(page.locator("#outcome-form"))
    assert not LesionOutcome.objects.exists()
    _record(page, diagnosis=melanoma.name, day="2026-11-20", lab="HP-26-0412")
    page.wait_for_url(f"**/patients/lesions/{lesion.pk}/outcome/")
    assert "Outcome recorded." in messages(page)
    assert text(page.locator(".outcome-summary .human-label")) == "Outcome (histopathology, 2026-11-20, lab ref HP-26-0412)"
    assert text(page.locator(".outcome-diagnosis")) == melanoma.name

    switch_user(page, login, people.bob)
    page.goto(f"/patients/lesions/{lesion.pk}/outcome/")
    page.get_by_label("Reason for the correction").fill("The report belonged to another lesion.")
    page.get_by_role("button", name="Void this outcome").click()
    page.wait_for_url(f"**/patients/lesions/{lesion.pk}/outcome/")
    assert "Outcome voided. Record the corrected outcome below." in messages(page)
    _record(page, diagnosis=benign.name, day="2026-11-21", lab="HP-26-0999",
            confirm="Expert consensus")
    page.wait_for_url(f"**/patients/lesions/{lesion.pk}/outcome/")
    assert text(page.locator(".outcome-diagnosis")) == benign.name
    assert "expert consensus, 2026-11-21, lab ref HP-26-0999" in text(page.locator(".outcome-summary"))
    voided = text(page.locator("#voided-outcomes"))
    assert melanoma.name in voided and "voided by bob" in voided and "another lesion" in voided
    assert [e.actor.username for e in AuditEvent.objects.filter(action__startswith="lesion.outcome_").order_by("pk")
            ] == ["alice", "bob", "bob"]

    switch_user(page, login, people.carol)
    page.goto(f"/patients/lesions/{lesion.pk}/outcome/")
    assert benign.name in text(page.locator(".outcome-diagnosis"))
    assert page.locator("#outcome-form, #outcome-void-form").count() == 0
    assert [p.split(" ")[0] + " " + p.rsplit("/patients/", 1)[-1] for p in problems] == [
        f"400 lesions/{lesion.pk}/outcome/"]  # the future date, refused on purpose
