"""A photo's capture details, its scale and an on-screen measurement, editable until the case is signed off.

The details (dermoscopy polarised or not, contact or not; overview or close-up framing) describe how the photo was
taken, in ISIC's vocabulary (`cases/isic.py`). A scale (millimetres per pixel of the stored photo) comes from two
points and the millimetres between them: the ends of a lesion of known diameter, or two marks of a ruler in the
photo. With a scale a reviewer can measure the lesion's longest diameter by two clicks.

They lock with the capture type (`case.SIGNED_STATUSES`): what a reviewer signed against must not change under
the signed finding. Every change is audited with its old and new values; an unchanged value writes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.http import Http404

from dermreview.accounts.roles import Role, require_role
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import CaptureType, Case, Framing, LesionImage, ScaleMethod
from dermreview.cases.services.case import SIGNED_STATUSES

# A lesion or a ruler segment shorter than 0.1 mm cannot be clicked; over 20 cm is not a lesion photo's scale.
SCALE_MM_MIN = 0.1
SCALE_MM_MAX = 200.0

Points = Sequence[Sequence[float]]


class CaptureDetailsRefused(Exception):
    """The change cannot be made. `code`: `invalid` (400, `field` names the input), `not_dermoscopic` (400),
    `no_scale` (400) or `case_signed` (409)."""

    def __init__(self, code: str, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def image_capture_details_set(
    *, image: LesionImage, user: Any, polarised: bool | None, contact: bool | None, framing: str,
) -> LesionImage:
    """Record how the photo was taken. Polarised and contact describe dermoscopy only: refused for a clinical
    photo (None, "not recorded", is always accepted). Clinicians and reviewers, until sign-off."""
    require_role(user, Role.CLINICIAN, Role.REVIEWER)
    if framing not in ("", *Framing.values):
        raise CaptureDetailsRefused(
            "invalid", f"Unknown framing. Choose one of: {', '.join(Framing.values)}.", field="framing")
    with _editable(image, user) as (case, locked):
        if locked.capture_type != CaptureType.DERMOSCOPIC and (polarised is not None or contact is not None):
            raise CaptureDetailsRefused(
                "not_dermoscopic",
                "Polarised and contact describe dermoscopy: this photo is a clinical photo. Set its capture type "
                "to Dermoscopic first.",
            )
        new = {"dermoscopy_polarised": polarised, "dermoscopy_contact": contact, "framing": framing}
        _save_changes(locked, new, case=case, user=user, action="image.capture_details_set")
    return locked


def image_scale_set(*, image: LesionImage, user: Any, method: str, points: Points, mm: float) -> LesionImage:
    """Set the photo's scale from two points (stored-photo pixels) `mm` millimetres apart.

    `method` says what the points mark: the ends of the lesion's known diameter, or two marks of a ruler. A
    measurement already taken is recomputed with the new scale (its points are kept), and audited with it.
    """
    require_role(user, Role.CLINICIAN, Role.REVIEWER)
    if method not in ScaleMethod.values:
        raise CaptureDetailsRefused(
            "invalid", f"Unknown scale method. Choose one of: {', '.join(ScaleMethod.values)}.", field="method")
    if not _finite(mm) or not SCALE_MM_MIN <= mm <= SCALE_MM_MAX:
        raise CaptureDetailsRefused(
            "invalid", f"The distance must be between {SCALE_MM_MIN:g} and {SCALE_MM_MAX:g} mm.", field="mm")
    with _editable(image, user) as (case, locked):
        pair = _checked_points(points, locked)
        mm_per_px = float(mm) / _distance(pair)
        new: dict[str, Any] = {
            "scale_method": method, "scale_mm_per_px": mm_per_px,
            "scale_points": {"points": [list(p) for p in pair], "mm": float(mm)},
        }
        measured = locked.measured_points.get("points") if locked.measured_points else None
        if measured:
            new["measured_diameter_mm"] = _distance(measured) * mm_per_px
        _save_changes(locked, new, case=case, user=user, action="image.scale_set")
    return locked


def image_measure(*, image: LesionImage, user: Any, points: Points) -> LesionImage:
    """Measure the lesion's longest diameter: two points in stored-photo pixels, converted with the photo's
    scale. Refused (`no_scale`) until the photo has one."""
    require_role(user, Role.CLINICIAN, Role.REVIEWER)
    with _editable(image, user) as (case, locked):
        if not locked.scale_mm_per_px:
            raise CaptureDetailsRefused(
                "no_scale", "Set a scale for this photo first (a known diameter, or two points on a ruler).")
        pair = _checked_points(points, locked)
        new = {"measured_diameter_mm": _distance(pair) * locked.scale_mm_per_px,
               "measured_points": {"points": [list(p) for p in pair]}}
        _save_changes(locked, new, case=case, user=user, action="image.measure")
    return locked


CAPTURE_DETAIL_KEYS = frozenset({"dermoscopy_polarised", "dermoscopy_contact", "framing", "scale", "measured_points"})


def capture_details_patch(*, image: LesionImage, user: Any, data: Mapping[str, Any]) -> LesionImage:
    """The API's PATCH: whichever of CAPTURE_DETAIL_KEYS `data` names, all or nothing (one transaction).
    Details left out keep their values; `scale` is {"method", "points", "mm"}; `measured_points` two points."""
    with transaction.atomic():
        if {"dermoscopy_polarised", "dermoscopy_contact", "framing"} & set(data):
            values = {name: data.get(name, getattr(image, name))
                      for name in ("dermoscopy_polarised", "dermoscopy_contact", "framing")}
            for name in ("dermoscopy_polarised", "dermoscopy_contact"):
                if values[name] is not None and not isinstance(values[name], bool):
                    raise CaptureDetailsRefused("invalid", "Give true, false or null.", field=name)
            image = image_capture_details_set(
                image=image, user=user, polarised=values["dermoscopy_polarised"],
                contact=values["dermoscopy_contact"], framing=str(values["framing"] or ""))
        if "scale" in data:
            scale = data["scale"] if isinstance(data["scale"], Mapping) else {}
            mm = scale.get("mm")
            image = image_scale_set(image=image, user=user, method=str(scale.get("method", "")),
                                    points=scale.get("points") or [], mm=mm if _finite(mm) else math.nan)
        if "measured_points" in data:
            image = image_measure(image=image, user=user, points=data["measured_points"] or [])
    return image


@contextmanager
def _editable(image: LesionImage, user: Any) -> Iterator[tuple[Case, LesionImage]]:
    """The case and photo rows, locked, inside one transaction; refused once signed, 404 to another clinic.

    The case row is locked first (as the capture type and sign-off do), so a concurrent sign-off either sees the
    change or makes it refuse.
    """
    with transaction.atomic():
        case = Case.objects.visible_to(user).select_for_update().filter(pk=image.case_id).first()
        if case is None:
            raise Http404("No such photo.")
        if case.status in SIGNED_STATUSES:
            raise CaptureDetailsRefused(
                "case_signed", "The case has a signed finding: its photos' capture details can no longer change.")
        yield case, LesionImage.objects.select_for_update().get(pk=image.pk)


def _save_changes(image: LesionImage, new: dict[str, Any], *, case: Case, user: Any, action: str) -> None:
    old = {name: getattr(image, name) for name in new}
    changed = [name for name in new if old[name] != new[name]]
    if not changed:
        return
    for name in changed:
        setattr(image, name, new[name])
    image.save(update_fields=changed)
    audit_log(action=action, actor=user, obj=image, organisation=case.organisation,
              details={"old": {n: old[n] for n in changed}, "new": {n: new[n] for n in changed}})


def _checked_points(points: Points, image: LesionImage) -> tuple[tuple[float, float], tuple[float, float]]:
    """Two distinct points inside the stored photo (0 <= x <= width, 0 <= y <= height)."""
    try:
        pair = [(float(x), float(y)) for x, y in points]
    except (TypeError, ValueError):
        pair = []
    if len(pair) != 2 or not all(_finite(v) for point in pair for v in point):
        raise CaptureDetailsRefused("invalid", "Mark exactly two points on the photo.", field="points")
    for x, y in pair:
        if not (0 <= x <= image.width and 0 <= y <= image.height):
            raise CaptureDetailsRefused(
                "invalid", f"A point lies outside the photo ({image.width}×{image.height} px).", field="points")
    if _distance(pair) <= 0:
        raise CaptureDetailsRefused("invalid", "The two points are the same: mark two different points.",
                                    field="points")
    return pair[0], pair[1]


def _distance(points: Points) -> float:
    (x1, y1), (x2, y2) = points
    return math.hypot(float(x2) - float(x1), float(y2) - float(y1))


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
