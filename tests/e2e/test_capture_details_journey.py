"""A clinician records a dermoscopic photo's capture details and a ruler scale by clicking two points, measures the
lesion's longest diameter on screen and reads the millimetres; after sign-off the details are locked. On a phone a
reviewer measures on the review page's viewer by tapping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from dermreview.audit.models import AuditEvent
from dermreview.cases.models import CaptureType, LesionImage
from dermreview.cases.services.capture_details import image_scale_set
from tests.dermreview.review.review_helpers import ready_case, sign
from tests.e2e.conftest import PASSWORD, enter_code
from tests.e2e.journeys import People, messages, text, watch_for_problems
from tests.factories import LesionImageFactory
from tests.mfa import authenticator_for, has_second_factor, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONGEST = re.compile(r"^Longest diameter")
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 3}


def _photo(people: People, ref: str) -> LesionImage:
    """Photo 2 of a case awaiting review: dermoscopic, 800×600 stored pixels (photo 1 carries the AI draft)."""
    case = ready_case(people.alice, patient_ref=ref)
    return LesionImageFactory(case=case, uploaded_by=people.alice, capture_type=CaptureType.DERMOSCOPIC,
                              width=800, height=600)


def _click_at(page: Any, fx: float, fy: float, *, tap: bool = False) -> None:
    """Click (or tap) the displayed photo at a fraction of its drawn width and height."""
    box = page.locator("#measure-stage img").bounding_box()
    x, y = box["x"] + box["width"] * fx, box["y"] + box["height"] * fy
    if tap:
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)


def _mm(status: str) -> float:
    match = re.fullmatch(r"Longest diameter: (\d+\.\d) mm", status)
    assert match, status
    return float(match.group(1))


def test_dermoscopy_details_ruler_scale_and_measurement(page, login, people: People) -> None:  # noqa: ANN001
    photo = _photo(people, "E2E-MEASURE")
    problems = watch_for_problems(page)
    login(people.alice)
    page.goto(f"/cases/{photo.case_id}/")
    page.get_by_role("link", name="Capture details and scale of photo 2").click()
    page.wait_for_url(f"**/cases/images/{photo.pk}/capture-details/")

    page.get_by_label("Polarised light").select_option(label="Polarised")
    page.get_by_label("Contact", exact=True).select_option(label="Contact")
    page.get_by_label("Framing").select_option(label="Close-up")
    page.get_by_role("button", name="Save capture details").click()
    page.wait_for_url(f"**/cases/images/{photo.pk}/capture-details/")
    assert "Photo 2: capture details saved." in messages(page)
    assert text(page.locator("#isic-dermoscopic-type")) == "contact polarized"

    # The ruler: two marks 400 stored pixels apart (the photo is drawn smaller than it is stored), 20 mm apart.
    page.get_by_label("Two points mark").select_option(label="Two points on a ruler")
    page.get_by_role("button", name="Mark two points on the photo").click()
    _click_at(page, 0.1, 0.5)
    assert text(page.locator("#measure-status")) == "Now tap the second point."
    _click_at(page, 0.6, 0.5)
    assert "px apart on the stored photo" in text(page.locator("#measure-status"))
    page.get_by_label("Millimetres between the two points").fill("20")
    page.get_by_role("button", name="Save scale").click()
    page.wait_for_url(f"**/cases/images/{photo.pk}/capture-details/")
    assert "Photo 2: scale set." in messages(page)
    photo.refresh_from_db()
    (x1, y1), (x2, y2) = photo.scale_points["points"]
    assert abs(x1 - 80) <= 2 and abs(x2 - 480) <= 2 and abs(y1 - 300) <= 2  # stored pixels, not screen ones
    assert photo.scale_mm_per_px == pytest.approx(0.05, rel=0.01)
    assert page.locator("#measure-stage circle.measure-scale").count() == 2  # the saved ruler points drawn back

    # The lesion's longest diameter: 300 stored pixels, 15 mm at this scale.
    page.get_by_role("button", name="Measure longest diameter").click()
    _click_at(page, 0.25, 0.25)
    _click_at(page, 0.25, 0.75)
    expect(page.locator("#measure-status")).to_have_text(LONGEST)
    assert _mm(text(page.locator("#measure-status"))) == pytest.approx(15.0, abs=0.2)
    photo.refresh_from_db()
    assert photo.measured_diameter_mm == pytest.approx(15.0, abs=0.2)
    assert AuditEvent.objects.filter(action="image.measure", actor=people.alice).count() == 1
    page.reload()
    assert text(page.locator("#measured-value")).endswith("mm (measured on screen)")
    assert problems == []


def test_capture_details_are_locked_after_sign_off(page, login, people: People) -> None:  # noqa: ANN001
    photo = _photo(people, "E2E-MEASURE-LOCK")
    login(people.alice)
    page.goto(f"/cases/images/{photo.pk}/capture-details/")
    sign(photo.case, people.bob)  # bob signs while her page is open
    page.get_by_label("Framing").select_option(label="Overview")
    page.get_by_role("button", name="Save capture details").click()
    page.wait_for_url(f"**/cases/images/{photo.pk}/capture-details/")
    assert "The case has a signed finding: its photos' capture details can no longer change." in messages(page)
    assert page.locator("#capture-details-form").count() == 0 and page.locator("#scale-form").count() == 0
    assert text(page.locator("#capture-locked")).startswith("The case has a signed finding")
    photo.refresh_from_db()
    assert photo.framing == "" and not AuditEvent.objects.filter(action="image.capture_details_set").exists()


@pytest.fixture
def phone(browser, live_server) -> Iterator[Any]:  # noqa: ANN001
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_reviewer_measures_by_tapping_on_the_review_page(phone, people: People) -> None:  # noqa: ANN001
    case = ready_case(people.alice, patient_ref="E2E-MEASURE-PHONE")
    [photo] = case.images.all()  # 64×48 stored pixels, drawn contained in the viewer's box
    image_scale_set(image=photo, user=people.alice, method="diameter", points=[[0, 0], [64, 0]], mm=6.4)
    device = authenticator_for(people.bob) if has_second_factor(people.bob) else None
    phone.goto("/accounts/login/")
    phone.fill("#id_username", "bob")
    phone.fill("#id_password", PASSWORD)
    phone.locator("main button[type=submit]").tap()
    phone.wait_for_url(lambda url: "/accounts/login" not in url)
    if device is not None:
        enter_code(phone, totp_code(device))
    phone.goto(f"/review/cases/{case.pk}/")
    phone.get_by_role("button", name="Measure diameter of photo 1").tap()
    viewer = phone.locator("[data-viewer]").first.bounding_box()
    # The photo is 4:3, contained in the viewer: its middle row, from 1/4 to 3/4 of the drawn photo's width.
    drawn = min(viewer["width"] / 64, viewer["height"] / 48) * 64
    left = viewer["x"] + (viewer["width"] - drawn) / 2
    middle = viewer["y"] + viewer["height"] / 2
    phone.touchscreen.tap(left + drawn * 0.25, middle)
    phone.touchscreen.tap(left + drawn * 0.75, middle)
    status = phone.locator(".capture-details [data-measure-output]").first
    expect(status).to_have_text(LONGEST)
    assert _mm(text(status)) == pytest.approx(3.2, abs=0.2)  # 32 of 64 px at 0.1 mm per px
    photo.refresh_from_db()
    assert photo.measured_diameter_mm == pytest.approx(3.2, abs=0.2)
