"""Typed edits survive "Start from: photo N", leaving with unsaved edits warns, and blind-first "Use the AI's value"
works from the keyboard and is recorded."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from dermreview.drafting.models import Draft
from dermreview.review.models import Review
from tests.dermreview.review.review_helpers import MELANOMA, NEVUS, ready_case
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _people():  # noqa: ANN202
    # The role groups come from a data migration, which a transactional test's flush may have removed.
    for role in ("clinician", "reviewer"):
        Group.objects.get_or_create(name=role)
    clinic = OrganisationFactory(name="Riverside Dermatology", slug="riverside")
    alice = UserFactory(username="alice", organisation=clinic, roles=["clinician"])
    bob = UserFactory(username="bob", organisation=clinic, roles=["reviewer"])
    return alice, bob


def _start(page, case) -> None:  # noqa: ANN001
    page.goto(f"/review/cases/{case.pk}/")
    page.locator("#start-review-button").click()
    page.wait_for_url(f"**/review/cases/{case.pk}/#review-work")


def test_start_from_another_photo_keeps_typed_edits_and_leaving_warns(page, login):
    alice, bob = _people()
    case = ready_case(alice, drafts=2, patient_ref="E2E-EDITS")
    login(bob)
    _start(page, case)
    page.locator("#sign-form").wait_for()
    page.fill("#id_color", "my typed colour")
    assert page.locator("#sign-form").get_attribute("data-guarded") == "1"

    # beforeunload is armed while the form holds unsaved edits: a navigation away asks first.
    dialogs: list[str] = []

    def dismiss(dialog) -> None:  # noqa: ANN001
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.evaluate("window.location.href = '/review/'")
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith(f"/review/cases/{case.pk}/#review-work")
    page.remove_listener("dialog", dismiss)

    other = Draft.objects.filter(image__case=case).order_by("image__created_at", "pk").first()
    page.get_by_role("button", name="photo 1 (Clinical (overview))").click()
    page.wait_for_url(f"**/review/cases/{case.pk}/claim/")
    assert page.input_value("#id_color") == "my typed colour"
    assert page.input_value("#id_draft_id") == str(other.pk)
    assert page.locator("strong", has_text="photo 1 (Clinical (overview))").count() == 1


def test_use_the_ai_value_from_the_keyboard_is_recorded(page, login):
    alice, bob = _people()
    case = ready_case(alice, draft=MELANOMA, blind_first=True, patient_ref="E2E-BLIND")
    login(bob)
    _start(page, case)
    for name, value in NEVUS.items():
        page.fill(f"#blind-form [name={name}]", value)
    page.get_by_role("button", name="Save my finding and show the AI draft").click()
    page.locator("#sign-form").wait_for()
    assert page.input_value("#id_lesion_type") == NEVUS["lesion_type"]  # my own finding, not the draft

    use_ai = page.locator(".finding-field[data-field=summary] .use-ai")
    page.locator("#id_summary").focus()
    page.keyboard.press("Tab")  # the next stop after the field is its "Use the AI's value"
    assert page.evaluate("document.activeElement.classList.contains('use-ai')")
    assert use_ai.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.input_value("#id_summary") == MELANOMA["summary"]
    assert page.input_value("#id_taken_from_ai") == "summary"
    # "Use mine" switches back, and the record follows.
    page.locator(".finding-field[data-field=summary] .use-mine").focus()
    page.keyboard.press("Enter")
    assert page.input_value("#id_summary") == NEVUS["summary"] and page.input_value("#id_taken_from_ai") == ""
    use_ai.focus()
    page.keyboard.press("Enter")

    # A taken field still needs its confirmation; the rest are my own text.
    page.check("#id_confirm_summary")
    page.get_by_label("Reassure and discharge").check()
    page.check("#id_attestation")
    page.locator("#sign-button").click()
    page.wait_for_url("**/review/reviews/*/**")
    review = Review.objects.get(case=case)
    assert review.taken_from_ai == ["summary"] and review.summary == MELANOMA["summary"]
