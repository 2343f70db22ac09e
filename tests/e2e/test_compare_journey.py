"""Two visits of one lesion side by side in the browser: synchronised zoom and pan, and the opacity overlay."""

from __future__ import annotations

import pytest

from dermreview.audit.models import AuditEvent
from tests.dermreview.lesions.patient_helpers import lesion_of, patient_of, signed_visit
from tests.e2e.journeys import People, watch_for_problems
from tests.factories import LesionImageFactory, jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _transforms(page) -> list[str]:  # noqa: ANN001
    return page.eval_on_selector_all(".compare-frame img", "imgs => imgs.map(i => getComputedStyle(i).transform)")


def test_zoom_and_pan_move_both_photos_and_the_overlay_fades_the_later_one(page, login, people: People) -> None:  # noqa: ANN001
    from django.core.files.base import ContentFile

    lesion = lesion_of(patient_of(people.alice, "PT-CMP-1"), label="L1 left shoulder")
    earlier = signed_visit(lesion, people.alice, people.bob, plan="monitor", days_ago=180)
    later = signed_visit(lesion, people.alice, people.bob, plan="discharge", days_ago=1)
    for case, colour in ((earlier, (150, 100, 70)), (later, (120, 70, 50))):
        LesionImageFactory(case=case, uploaded_by=people.alice, width=640, height=480,
                           file=ContentFile(jpeg_bytes(640, 480, colour), name="img.jpg"))
    problems = watch_for_problems(page)
    login(people.alice)
    page.goto(f"/patients/lesions/{lesion.pk}/compare/")
    page.wait_for_function("() => [...document.querySelectorAll('.compare-frame img')].every(i => i.complete)")
    assert _transforms(page) == ["matrix(1, 0, 0, 1, 0, 0)"] * 2

    # Wheel on the earlier photo: both zoom, by the same transform.
    first = page.locator(".compare-frame[data-side=a]")
    first.hover()
    page.mouse.wheel(0, -120)
    page.mouse.wheel(0, -120)
    zoomed = _transforms(page)
    assert zoomed[0] == zoomed[1] and zoomed[0] != "matrix(1, 0, 0, 1, 0, 0)"
    assert page.locator("#compare-zoom-level").inner_text() == "156%"

    # Drag the later photo: both pan.
    box = page.locator(".compare-frame[data-side=b]").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 60, box["y"] + box["height"] / 2 - 30, steps=4)
    page.mouse.up()
    panned = _transforms(page)
    assert panned[0] == panned[1] and panned[0] != zoomed[0]

    # Keys and buttons act on both too.
    page.locator(".compare-frame[data-side=b]").focus()
    page.keyboard.press("+")
    assert _transforms(page)[0] == _transforms(page)[1]
    page.locator("#compare-reset").click()
    assert _transforms(page) == ["matrix(1, 0, 0, 1, 0, 0)"] * 2

    # Overlay: the later photo over the earlier, at the slider's opacity.
    assert page.locator("#overlay-opacity").is_disabled()
    page.get_by_label("Overlay the later photo on the earlier").check()
    assert page.locator("#compare-stage").get_attribute("data-mode") == "overlay"
    page.locator("#overlay-opacity").fill("20")
    later_frame = page.locator(".compare-frame[data-side=b]")
    assert later_frame.evaluate("f => getComputedStyle(f).opacity") == "0.2"
    boxes = [page.locator(f".compare-frame[data-side={s}]").bounding_box() for s in "ab"]
    assert (boxes[0]["x"], boxes[0]["y"]) == (boxes[1]["x"], boxes[1]["y"])  # stacked
    assert page.locator("#overlay-opacity-value").inner_text() == "20%"

    assert "Monitor: follow-up visit" in page.locator(".compare-findings").inner_text()
    assert AuditEvent.objects.filter(action="lesion.compare", actor=people.alice).count() == 1
    assert problems == []
