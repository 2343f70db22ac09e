"""A review from the keyboard alone: skip link, Start review, the "?" help, switching photos, confirming every
field with shortcuts, signing, and "Sign and open next"."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from dermreview.cases.models import Case, CaseStatus
from dermreview.review.models import Review
from tests.dermreview.review.review_helpers import ready_case
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIELDS = ("lesion_type", "color", "symmetry", "borders", "texture", "summary")


def _active(page) -> str:  # noqa: ANN001
    return page.evaluate("document.activeElement.id || document.activeElement.className")


def _tab_to(page, element_id: str, most: int = 8) -> None:  # noqa: ANN001
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id} (stopped at {_active(page)})")


@pytest.fixture
def people():  # noqa: ANN201
    for role in ("clinician", "reviewer"):
        Group.objects.get_or_create(name=role)
    clinic = OrganisationFactory(name="Riverside Dermatology", slug="riverside")
    alice = UserFactory(username="alice", organisation=clinic, roles=["clinician"])
    bob = UserFactory(username="bob", organisation=clinic, roles=["reviewer"])
    return alice, bob


def test_skip_link_is_first_and_moves_focus_to_main(page, login, people):
    alice, _ = people
    login(alice)
    page.goto("/cases/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    assert page.locator(".skip-link").is_visible()  # shown once focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")  # a visible focus ring
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")


def test_keyboard_only_review_of_a_two_photo_case(page, login, people):
    alice, bob = people
    case = ready_case(alice, drafts=2, patient_ref="KEYS-0001")
    following = ready_case(alice, patient_ref="KEYS-0002")
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    login(bob)
    page.goto(f"/review/cases/{case.pk}/")

    # Skip link, then the first thing in main is "Start review".
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    _tab_to(page, "start-review-button")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/review/cases/{case.pk}/#review-work")
    page.locator("#sign-form").wait_for()

    # "?" opens the help: a dialog that keeps the focus until Esc.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    assert dialog.is_visible() and _active(page) == "kbd-help-close"
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.getElementById('kbd-help').contains(document.activeElement)")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()

    # The thumbnail strip shows one photo at a time; "]" switches to the next, "+" zooms the one shown.
    blocks = page.locator(".viewer-block")
    assert page.locator("#thumb-strip").is_visible() and blocks.nth(0).is_visible() and not blocks.nth(1).is_visible()
    page.keyboard.press("]")
    assert blocks.nth(1).is_visible() and not blocks.nth(0).is_visible()
    page.keyboard.press("+")
    assert "zoomed" in blocks.nth(1).locator("[data-viewer]").get_attribute("class")
    page.keyboard.press("0")

    # Letter keys do nothing while typing in a field.
    page.keyboard.press("n")
    first = page.locator(".finding-field[data-field=lesion_type] input[type=text], "
                         ".finding-field[data-field=lesion_type] textarea").first
    assert first.input_value() == page.locator(".finding-field[data-field=lesion_type]").get_attribute("data-draft")
    page.keyboard.press("p")  # back to the first field: "c" confirms from there

    for _ in FIELDS:
        page.keyboard.press("c")
    for name in FIELDS:
        state = page.locator(f".finding-field[data-field={name}] .field-state").text_content().strip()
        assert state == "Confirmed by you", name

    page.get_by_label("Reassure and discharge").check()  # the management plan a final sign-off needs
    page.keyboard.press("a")
    assert page.evaluate("document.activeElement.name") == "attestation"
    page.keyboard.press("Space")
    _tab_to(page, "sign-button")
    page.keyboard.press("Tab")
    assert _active(page) == "sign-next-button"
    page.keyboard.press("Enter")

    # Signed; the next case opens read-only with "Start review" focused, one Enter from the claim.
    page.wait_for_url(f"**/review/cases/{following.pk}/#start-review")
    assert Review.objects.filter(case=case, reviewer=bob).exists()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.FINAL
    assert _active(page) == "start-review-button"
    assert Case.objects.get(pk=following.pk).claimed_by is None
    assert not problems
