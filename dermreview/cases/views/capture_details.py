"""A photo's capture details page (the photo viewer with the scale and measuring tool) and its three posts.

Thin: check access (404 to another clinic), parse, call `cases/services/capture_details.py`, answer JSON to the
page's script (static/js/measure.js) or redirect a plain form post back to the page with a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dermreview.cases.access import get_image_for_user
from dermreview.cases.isic import isic_image_metadata
from dermreview.cases.models import Framing, LesionImage, ScaleMethod
from dermreview.cases.selectors import image_position
from dermreview.cases.services.capture_details import (
    SCALE_MM_MAX,
    SCALE_MM_MIN,
    CaptureDetailsRefused,
    image_capture_details_set,
    image_measure,
    image_scale_set,
)
from dermreview.cases.services.image_capture import capture_type_editable
from dermreview.cases.views.uploads import wants_json

# The yes/no/not recorded selects of the form, and what each value means to the service.
TRISTATE = {"": None, "yes": True, "no": False}


@dataclass(frozen=True, slots=True)
class CaptureDetailsPage:
    image: LesionImage
    position: int
    editable: bool
    isic: dict[str, str]
    framings: tuple[tuple[str, str], ...]
    scale_methods: tuple[tuple[str, str], ...]
    mm_min: float
    mm_max: float

    @property
    def polarised(self) -> str:
        return _tristate_value(self.image.dermoscopy_polarised)

    @property
    def contact(self) -> str:
        return _tristate_value(self.image.dermoscopy_contact)


def capture_details(request: HttpRequest, image_pk: int) -> HttpResponse:
    """GET: the photo with its details, scale and measurement. POST: set the details (polarised, contact, framing)."""
    image = get_image_for_user(request.user, image_pk)  # outsiders: 404
    if request.method == "POST":
        return _answer(request, image, lambda: image_capture_details_set(
            image=image, user=request.user, polarised=_tristate(request, "polarised"),
            contact=_tristate(request, "contact"), framing=request.POST.get("framing", ""),
        ), "capture details saved")
    page = CaptureDetailsPage(
        image=image, position=image_position(image),
        editable=capture_type_editable(user=request.user, case=image.case), isic=isic_image_metadata(image),
        framings=tuple((str(v), str(label)) for v, label in Framing.choices),
        scale_methods=tuple((str(v), str(label)) for v, label in ScaleMethod.choices),
        mm_min=SCALE_MM_MIN, mm_max=SCALE_MM_MAX,
    )
    return render(request, "cases/capture_details.html", {"page": page, "case": image.case, "image": image})


@require_POST
def image_scale(request: HttpRequest, image_pk: int) -> HttpResponse:
    image = get_image_for_user(request.user, image_pk)
    return _answer(request, image, lambda: image_scale_set(
        image=image, user=request.user, method=request.POST.get("method", ""),
        points=_points(request), mm=_number(request.POST.get("mm", ""), field="mm"),
    ), "scale set")


@require_POST
def image_measure_diameter(request: HttpRequest, image_pk: int) -> HttpResponse:
    image = get_image_for_user(request.user, image_pk)
    return _answer(request, image, lambda: image_measure(image=image, user=request.user, points=_points(request)),
                   "longest diameter measured")


def capture_details_json(image: LesionImage) -> dict[str, Any]:
    """What the script (and the tests) read back after a change."""
    return {
        "image_id": image.pk, "capture_type": image.capture_type, "framing": image.framing,
        "dermoscopy_polarised": image.dermoscopy_polarised, "dermoscopy_contact": image.dermoscopy_contact,
        "scale_method": image.scale_method, "scale_mm_per_px": image.scale_mm_per_px,
        "measured_diameter_mm": image.measured_diameter_mm,
        "measured_label": _mm_label(image.measured_diameter_mm), "isic": isic_image_metadata(image),
    }


def _answer(request: HttpRequest, image: LesionImage, change: Any, done: str) -> HttpResponse:
    try:
        image = change()
    except CaptureDetailsRefused as refused:
        if wants_json(request):
            status = 409 if refused.code == "case_signed" else 400
            return JsonResponse({"error": {"code": refused.code, "message": refused.message,
                                           "field": refused.field}}, status=status)
        messages.error(request, refused.message)
        return redirect("cases:capture_details", image_pk=image.pk)
    if wants_json(request):
        return JsonResponse(capture_details_json(image))
    label = _mm_label(image.measured_diameter_mm) if done.startswith("longest") else ""
    messages.success(request, f"Photo {image_position(image)}: {done}{f' ({label})' if label else ''}.")
    return redirect("cases:capture_details", image_pk=image.pk)


def _mm_label(value: float | None) -> str:
    return f"{value:.1f} mm" if value is not None else ""


def _tristate(request: HttpRequest, name: str) -> bool | None:
    value = request.POST.get(name, "")
    if value not in TRISTATE:
        raise CaptureDetailsRefused("invalid", f"Choose yes, no or not recorded for {name}.", field=name)
    return TRISTATE[value]


def _tristate_value(value: bool | None) -> str:
    return {None: "", True: "yes", False: "no"}[value]


def _number(value: str, *, field: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise CaptureDetailsRefused("invalid", f"Enter the {field} as a number.", field=field) from None


def _points(request: HttpRequest) -> list[list[float]]:
    """`points`: "x1,y1,x2,y2" in stored-photo pixels, as the script sends them (the service checks them)."""
    parts = [part.strip() for part in request.POST.get("points", "").split(",") if part.strip()]
    if len(parts) != 4:
        raise CaptureDetailsRefused("invalid", "Mark exactly two points on the photo.", field="points")
    numbers = [_number(part, field="points") for part in parts]
    return [numbers[0:2], numbers[2:4]]
