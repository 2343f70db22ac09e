"""A reviewer's sign-off in the browser, then dual review of a high-risk case until the clinician sees `final`."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group

from dermreview.cases.models import Case, CaseStatus
from dermreview.review.models import Review
from dermreview.review.services.agreement import agreement_score_reviews
from tests.dermreview.review.review_helpers import MELANOMA, NEVUS, ready_case
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIELDS = ("lesion_type", "color", "symmetry", "borders", "texture", "summary")


def _watch_for_problems(page) -> list[str]:  # noqa: ANN001
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    return problems


def _state(page, field: str) -> str:  # noqa: ANN001
    # text_content, not inner_text: the label is upper-cased by CSS.
    return page.locator(f".finding-field[data-field={field}] .field-state").text_content().strip()


def _switch_user(page, login, user) -> None:  # noqa: ANN001
    page.locator(".whoami button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/"))
    login(user)


def _start_review(page, case) -> None:  # noqa: ANN001
    """Press "Start review" from the keyboard (it is the page's first action), then land on the claimed form."""
    button = page.locator("#start-review-button")
    box = button.bounding_box()
    assert box is not None and box["y"] + box["height"] <= page.viewport_size["height"]  # in sight, no scrolling
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/review/cases/{case.pk}/#review-work")
    page.locator("#sign-form").wait_for()
    # Focus moved to the work area: the next Tab lands in the form, not back at the top of the page.
    assert page.evaluate("document.activeElement.id") == "review-work"


def test_review_journey_edit_sign_agreement_then_dual_review_to_final(page, login, screenshot_dir):
    # The role groups come from a data migration, which a transactional test's flush may have removed.
    for role in ("clinician", "reviewer"):
        Group.objects.get_or_create(name=role)
    clinic = OrganisationFactory(name="Riverside Dermatology", slug="riverside")
    alice = UserFactory(username="alice", organisation=clinic, roles=["clinician"])
    bob = UserFactory(username="bob", organisation=clinic, roles=["reviewer"])
    dave = UserFactory(username="dave", organisation=clinic, roles=["reviewer"])
    nevus_case = ready_case(alice, patient_ref="E2E-NEVUS")
    melanoma_case = ready_case(alice, draft=MELANOMA, patient_ref="E2E-MEL")
    problems = _watch_for_problems(page)

    # --- bob: queue → review page; edit two fields, confirm four, sign ------------------------------------------
    login(bob)
    page.goto("/review/")
    rows = page.locator("#review-queue tbody tr")
    assert rows.count() == 2 and rows.nth(0).get_attribute("data-case-id") == str(melanoma_case.pk)  # high-risk first
    page.screenshot(path=str(screenshot_dir / "review-queue.png"), full_page=True)
    page.locator(f"#review-queue tr[data-case-id='{nevus_case.pk}'] a.button").click()
    page.wait_for_url(f"**/review/cases/{nevus_case.pk}/")
    # Opening the page claims nothing: the case is read-only until "Start review" (a POST).
    assert page.locator("#sign-form").count() == 0
    assert Case.objects.get(pk=nevus_case.pk).claimed_by is None
    page.screenshot(path=str(screenshot_dir / "review-start.png"), full_page=True)
    _start_review(page, nevus_case)
    assert Case.objects.get(pk=nevus_case.pk).claimed_by == bob
    assert [_state(page, f) for f in FIELDS] == ["AI draft"] * 6
    assert page.locator("#unconfirmed-hint").inner_text().startswith("6 fields are still the AI draft")

    page.locator(".viewer-block [data-zoom=in]").first.click()
    assert page.locator(".viewer-block .zoom-level").first.inner_text() == "125%"
    page.locator(".viewer-block [data-zoom=reset]").first.click()

    page.fill("#id_color", "two shades of brown")
    page.fill("#id_borders", "slightly irregular at 3 o'clock")
    for field in ("lesion_type", "symmetry", "texture", "summary"):
        page.check(f"#id_confirm_{field}")
    assert _state(page, "color") == "Edited by you" and _state(page, "borders") == "Edited by you"
    assert _state(page, "summary") == "Confirmed by you"
    assert page.locator("#unconfirmed-hint").inner_text() == "Every field is confirmed or changed."
    page.get_by_label("Reassure and discharge").check()
    page.check("#id_attestation")
    page.screenshot(path=str(screenshot_dir / "review-form.png"), full_page=True)
    page.click("#sign-button")

    page.wait_for_url(re.compile(r"/review/reviews/\d+/$"))
    review = Review.objects.get(case=nevus_case)
    assert review.edited_fields == ["color", "borders"] and review.time_on_task_ms > 0
    table = page.locator("#agreement-table")
    assert table.locator("tr[data-field=color] td.exact").inner_text() == "changed"
    assert table.locator("tr[data-field=summary] td.exact").inner_text() == "same"
    assert "scoring…" in table.locator("tr[data-field=summary] td.f1").inner_text()
    # The scoring task's work, run here with the real scorer; the page polls and fills in the scores.
    agreement_score_reviews(review_ids=[review.pk])
    page.wait_for_function(
        "() => document.querySelector('#agreement-table tr[data-field=summary] td.f1').textContent.trim() === '1.000'",
        timeout=20_000,
    )
    assert float(table.locator("tr[data-field=color] td.f1").inner_text()) < 1.0
    assert "all-MiniLM-L6-v2" in page.locator("#scoring-state").inner_text()
    page.screenshot(path=str(screenshot_dir / "review-agreement.png"), full_page=True)

    # --- bob signs the melanoma case: it needs a second reviewer -------------------------------------------------
    page.goto(f"/review/cases/{melanoma_case.pk}/")
    _start_review(page, melanoma_case)
    for field in FIELDS:
        page.check(f"#id_confirm_{field}")
    page.check("#id_attestation")
    page.click("#sign-button")
    page.wait_for_url(re.compile(r"/review/reviews/\d+/$"))
    assert page.locator("#case-status").inner_text() == "Needs second review"

    # --- dave signs round 2 ----------------------------------------------------------------------------------------
    _switch_user(page, login, dave)
    page.set_viewport_size({"width": 390, "height": 844})  # dave reviews on a phone
    page.goto(f"/review/cases/{melanoma_case.pk}/")
    page.screenshot(path=str(screenshot_dir / "review-start-phone.png"))
    _start_review(page, melanoma_case)
    assert "Second review" in page.locator(".second-round-note").inner_text()
    for field in FIELDS:
        page.check(f"#id_confirm_{field}")
    page.get_by_label("Biopsy or excise").check()
    page.check("#id_attestation")
    page.click("#sign-button")
    page.wait_for_url(re.compile(r"/review/reviews/\d+/$"))
    assert page.locator("#case-status").inner_text() == "Final"
    melanoma_case.refresh_from_db()
    assert melanoma_case.status == CaseStatus.FINAL

    # --- alice, the clinician, sees the final, human-confirmed finding ----------------------------------------------
    _switch_user(page, login, alice)
    page.goto(f"/cases/{melanoma_case.pk}/")
    assert page.locator("#finding-status").inner_text() == "Final"
    final = " ".join(page.locator("#final-finding").text_content().split())
    assert "Human-confirmed finding" in final and MELANOMA["summary"] in final
    assert "bob (first review" in final and "dave (second review" in final
    page.goto(f"/cases/{nevus_case.pk}/")
    assert "two shades of brown" in page.locator("#final-finding").inner_text()
    assert NEVUS["color"] not in page.locator("#case-finding").inner_text()  # the draft's colour is no finding
    page.screenshot(path=str(screenshot_dir / "review-clinician-final.png"), full_page=True)
    assert Case.objects.filter(status=CaseStatus.FINAL).count() == 2
    assert problems == []  # no script error, no CSP violation, no failed request
