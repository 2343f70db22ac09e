"""The body map in a real browser: a clinician places a new lesion with the mouse and moves it; on a phone
(390x844, touch) a tap places one; markers land where the pointer was, are links a keyboard reaches, and the
patient and lesion pages pass axe."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dermreview.cases.models import Lesion
from tests.dermreview.lesions.patient_helpers import lesion_of, patient_of, visit
from tests.e2e.journeys import watch_for_problems
from tests.e2e.test_accessibility import _violations
from tests.e2e.test_phone import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, **PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _figure_point(page: Any, fx: float, fy: float) -> tuple[float, float]:
    """The page position of the figure's (fx, fy) fraction, from the drawn figure's box."""
    box = page.locator("#body-map-figure").bounding_box()
    assert box is not None
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def _assert_marker_at(page: Any, lesion_id: int, fx: float, fy: float) -> None:
    """The lesion's marker is drawn (within 3 px) at the figure's (fx, fy), as the page now lays it out."""
    box = page.locator(f"a.marker[data-lesion-id='{lesion_id}'] .hit").bounding_box()
    assert box is not None
    x, y = _figure_point(page, fx, fy)
    assert abs(box["x"] + box["width"] / 2 - x) < 3 and abs(box["y"] + box["height"] / 2 - y) < 3


def test_clinician_places_and_moves_a_lesion_with_the_mouse(page: Any, login: Any, people: Any) -> None:
    patient = patient_of(people.alice, "PT-MAP-MOUSE")
    problems = watch_for_problems(page)
    login(people.alice)
    page.goto(f"/patients/{patient.pk}/")
    x, y = _figure_point(page, 0.3, 0.4)
    page.mouse.click(x, y)
    assert page.locator("#body-map-figure .pending-marker").count() == 1
    assert abs(float(page.input_value("#id_lesion-x")) - 0.3) < 0.01
    assert abs(float(page.input_value("#id_lesion-y")) - 0.4) < 0.01
    assert page.input_value("#id_lesion-view") == "front"
    page.select_option("#id_lesion-body_site", "chest")
    page.select_option("#id_lesion-laterality", "right")
    page.fill("#id_lesion-label", "L1 chest")
    page.get_by_role("button", name="Add lesion").click()
    page.wait_for_url("**/patients/*/?view=front#body-map")
    lesion = Lesion.objects.get(patient=patient)
    assert (lesion.body_site, lesion.laterality, lesion.label, lesion.map_view) == ("chest", "right", "L1 chest", "front")
    assert abs(lesion.map_x - 0.3) < 0.01 and abs(lesion.map_y - 0.4) < 0.01
    # The marker is drawn where the pointer was.
    _assert_marker_at(page, lesion.pk, 0.3, 0.4)
    assert page.locator(f"a.marker[data-lesion-id='{lesion.pk}']").get_attribute("aria-label") == (
        "L1 L1 chest: No visit yet")

    # Move it: "Move on map" in the list, then a click on its new place sends the move form.
    page.locator("#lesion-list").get_by_role("link", name="Move on map L1").click()
    assert page.locator("#body-map-figure").get_attribute("data-mode") == "move"
    x2, y2 = _figure_point(page, 0.62, 0.7)
    page.mouse.click(x2, y2)
    page.wait_for_url("**/patients/*/?view=front#body-map")
    lesion.refresh_from_db()
    assert abs(lesion.map_x - 0.62) < 0.01 and abs(lesion.map_y - 0.7) < 0.01
    _assert_marker_at(page, lesion.pk, 0.62, 0.7)
    assert page.locator("#body-map-figure").get_attribute("data-mode") == "new"
    assert problems == []


def test_markers_are_links_a_keyboard_reaches(page: Any, login: Any, people: Any) -> None:
    patient = patient_of(people.alice, "PT-MAP-KEYS")
    lesion = lesion_of(patient, label="L1 back", map_view="back", map_x=0.5, map_y=0.3)
    visit(lesion, people.alice)
    login(people.alice)
    page.goto(f"/patients/{patient.pk}/?view=back")
    page.locator("nav.body-map-views a[aria-current=page]").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('data-lesion-id')") == str(lesion.pk):
            break
    else:
        pytest.fail("Tab never reached the lesion's marker")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/patients/lesions/{lesion.pk}/")
    assert "Awaiting review" in page.locator("#lesion-status").inner_text()


def test_a_tap_on_a_phone_places_a_lesion(phone: Any, people: Any) -> None:
    from tests.e2e.conftest import PASSWORD

    patient = patient_of(people.alice, "PT-MAP-TOUCH")
    lesion_of(patient, label="L1 existing", map_view="hands", map_x=0.2, map_y=0.5)
    problems = watch_for_problems(phone)
    phone.goto("/accounts/login/")
    phone.fill("#id_username", "alice")
    phone.fill("#id_password", PASSWORD)
    phone.locator("main button[type=submit]").tap()
    phone.wait_for_url(lambda url: "/accounts/login" not in url)
    phone.goto(f"/patients/{patient.pk}/")
    assert phone.locator("#body-map-figure").get_attribute("data-view") == "hands"  # the view with a lesion
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the patient page scrolls sideways on a phone ({width}px)"
    figure = phone.locator("#body-map-figure")
    figure.scroll_into_view_if_needed()
    box = figure.bounding_box()
    assert box is not None and box["width"] <= 390
    figure.tap(position={"x": box["width"] * 0.85, "y": box["height"] * 0.3})
    assert abs(float(phone.input_value("#id_lesion-x")) - 0.85) < 0.01
    assert phone.input_value("#id_lesion-view") == "hands"
    phone.select_option("#id_lesion-body_site", "palm")
    phone.select_option("#id_lesion-laterality", "left")
    phone.get_by_role("button", name="Add lesion").tap()
    phone.wait_for_url("**/patients/*/?view=hands#body-map")
    lesion = Lesion.objects.get(patient=patient, body_site="palm")
    assert abs(lesion.map_x - 0.85) < 0.01 and abs(lesion.map_y - 0.3) < 0.01
    _assert_marker_at(phone, lesion.pk, 0.85, 0.3)
    assert problems == []


def test_patient_and_lesion_pages_pass_axe(page: Any, login: Any, people: Any) -> None:
    patient = patient_of(people.alice, "PT-MAP-A11Y")
    lesion = lesion_of(patient, label="L1", map_view="front", map_x=0.5, map_y=0.5)
    visit(lesion, people.alice)
    login(people.alice)
    found: list[str] = []
    for name, url in {"patients": "/patients/", "patient page": f"/patients/{patient.pk}/",
                      "patient page (moving)": f"/patients/{patient.pk}/?move={lesion.pk}",
                      "lesion page": f"/patients/lesions/{lesion.pk}/",
                      "new visit form": f"/cases/new/?lesion={lesion.pk}"}.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        found += _violations(page, name)
    assert found == []
