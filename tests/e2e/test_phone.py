"""The phone (390×844, touch): swipes on a photo scroll the page until it is zoomed, the queue fits the screen, the
camera picker is offered on touch devices only, and an upload refreshes the finding box in place."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group

from dermreview.cases.models import CaseStatus
from tests.dermreview.review.review_helpers import ready_case
from tests.e2e.conftest import PASSWORD, enter_code
from tests.factories import CaseFactory, LesionImageFactory, OrganisationFactory, UserFactory
from tests.fixtures import upload_corpus as corpus
from tests.mfa import authenticator_for, has_second_factor, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 3}


@pytest.fixture
def phone(browser, live_server) -> Iterator[object]:  # noqa: ANN001
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def clinic():  # noqa: ANN201
    for role in ("clinician", "reviewer"):
        Group.objects.get_or_create(name=role)
    return OrganisationFactory(name="Riverside Dermatology", slug="riverside")


def _login(page, user) -> None:  # noqa: ANN001
    device = authenticator_for(user) if has_second_factor(user) else None
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").tap()
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    if device is not None:
        enter_code(page, totp_code(device))


def _swipe_up(page, x: float, y: float, distance: int = 300) -> None:  # noqa: ANN001
    """A one-finger swipe upwards starting at (x, y), as real touch input (the browser decides what it scrolls)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 11):
        cdp.send("Input.dispatchTouchEvent",
                 {"type": "touchMove", "touchPoints": [{"x": x, "y": y - distance * step / 10}]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(400)


def test_phone_queue_fits_the_screen_and_a_swipe_on_an_unzoomed_photo_scrolls(phone, clinic):
    alice = UserFactory(username="alice", organisation=clinic, roles=["clinician"])
    bob = UserFactory(username="bob", organisation=clinic, roles=["reviewer"])
    case = ready_case(alice, drafts=2, patient_ref="PHONE-0001", lesion_label="L1 a long label on the upper back")
    ready_case(alice, patient_ref="PHONE-0002")
    _login(phone, bob)
    phone.goto("/review/")
    assert phone.locator("#review-queue tbody tr").count() == 2
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # cards, not a 923 px table

    phone.goto(f"/review/cases/{case.pk}/")
    frame = phone.locator(".viewer-block:not([hidden]) [data-viewer]").first
    frame.scroll_into_view_if_needed()
    assert phone.evaluate("getComputedStyle(document.querySelector('[data-viewer]')).touchAction") == "pan-y"
    box = frame.bounding_box()
    before = phone.evaluate("window.scrollY")
    _swipe_up(phone, box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.8)
    scrolled = phone.evaluate("window.scrollY")
    assert scrolled > before + 50  # the page moved: the swipe was not swallowed by the photo

    # Zoomed, the photo takes the touch for itself: the same swipe pans it and leaves the page where it is.
    phone.locator(".viewer-block:not([hidden]) [data-zoom=in]").first.tap()
    assert phone.evaluate("getComputedStyle(document.querySelector('[data-viewer]')).touchAction") == "none"
    box = frame.bounding_box()
    _swipe_up(phone, box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.8, distance=120)
    assert abs(phone.evaluate("window.scrollY") - scrolled) < 5


def test_camera_picker_only_on_touch_devices(page, login, phone, clinic):
    alice = UserFactory(username="alice", organisation=clinic, roles=["clinician"])
    case = CaseFactory(organisation=clinic, created_by=alice, patient_ref="CAM-0001")
    login(alice)
    page.goto(f"/cases/{case.pk}/")
    page.locator("#upload-form").wait_for()
    page.wait_for_function("document.getElementById('upload-camera-box').hidden")
    assert page.locator("#upload-camera").get_attribute("capture") is None
    assert not page.locator("#upload-camera").is_visible()

    _login(phone, alice)
    phone.goto(f"/cases/{case.pk}/")
    phone.wait_for_function("document.getElementById('upload-camera').hasAttribute('capture')")
    assert phone.locator("#upload-camera").get_attribute("capture") == "environment"
    assert phone.locator("#upload-camera").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_upload_refreshes_the_finding_box_without_a_reload(page, login, clinic, tmp_path):
    alice = UserFactory(username="alice", organisation=clinic, roles=["clinician"])
    case = CaseFactory(organisation=clinic, created_by=alice, patient_ref="NEWPHOTO-1",
                       status=CaseStatus.NEEDS_NEW_PHOTO)
    LesionImageFactory(case=case, uploaded_by=alice, ungradable_reason="Blurred: out of focus",
                       ungradable_by=alice, ungradable_at=case.created_at)
    photo = tmp_path / "sharp.jpg"
    photo.write_bytes(corpus.jpeg(640, 480, seed=303))
    login(alice)
    page.goto(f"/cases/{case.pk}/")
    assert page.locator("#new-photo-request").is_visible()
    page.evaluate("window.__noReload = true")
    page.set_input_files("#upload-files", [str(photo)])
    page.click("#upload-submit")
    page.locator("#new-photo-request").wait_for(state="detached")
    assert "waiting for a reviewer" in page.locator("#case-finding").inner_text()
    assert page.locator("#finding-status").inner_text() == "Awaiting review"
    assert page.locator("#image-grid li.image-tile").count() == 2
    assert page.evaluate("window.__noReload") is True  # the same document: no full reload
