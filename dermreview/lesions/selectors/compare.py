"""The side-by-side comparison of two visits of one lesion (`/patients/lesions/<id>/compare/`).

Both visits are cases of that lesion in the user's clinic; anything else is a 404, as for a case of another
clinic. Only human-confirmed findings are shown (a case's finding once it is final): never an AI draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404

from dermreview.cases.models import Case, Lesion, LesionImage
from dermreview.cases.selectors import image_positions
from dermreview.review.services.plan import SignedFinding, signed_findings


@dataclass(frozen=True, slots=True)
class Visit:
    case_id: int
    created_at: datetime
    status_label: str


@dataclass(frozen=True, slots=True)
class Photo:
    image_id: int
    position: int  # "Photo N" on its case
    capture_type_label: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class CompareSide:
    visit: Visit
    photos: tuple[Photo, ...]
    photo: Photo | None  # the one compared; None when the visit has no photo
    finding: SignedFinding | None  # None: not signed (final) yet


@dataclass(frozen=True, slots=True)
class ComparePage:
    lesion: Lesion
    visits: tuple[Visit, ...]  # newest first: the pickers' options
    a: CompareSide | None  # the earlier visit by default; None when the lesion has a single visit
    b: CompareSide


def compare_page(*, user: Any, lesion_id: int, a: Any = None, b: Any = None, photo_a: Any = None,
                 photo_b: Any = None) -> ComparePage:
    """Visits `a` and `b` (case ids; by default the two newest, older first) and the photo of each compared
    (`photo_a`/`photo_b`: image ids; by default each visit's first usable photo, the second of the same capture
    type as the first where it has one). Raises Http404 for a lesion or visit outside the user's clinic or a visit
    not of this lesion. Four queries."""
    lesion = get_object_or_404(Lesion.objects.visible_to(user).select_related("patient"), pk=lesion_id)
    cases = list(Case.objects.visible_to(user).filter(lesion_id=lesion.pk).order_by("-created_at", "-pk"))
    if not cases:
        raise Http404("This lesion has no visits.")
    by_id = {case.pk: case for case in cases}
    chosen_b = _visit(by_id, b) or next((c for c in cases if c.pk != _int(a)), cases[0])
    chosen_a = _visit(by_id, a) or next((c for c in cases if c.pk != chosen_b.pk), None)
    ids = [chosen_b.pk] + ([chosen_a.pk] if chosen_a is not None else [])
    images: dict[int, list[LesionImage]] = {pk: [] for pk in ids}
    for image in LesionImage.objects.filter(case_id__in=ids).order_by("created_at", "pk"):
        images[image.case_id].append(image)
    findings = signed_findings(ids)
    side_a = _side(chosen_a, images, findings, photo_a, like=None) if chosen_a is not None else None
    side_b = _side(chosen_b, images, findings, photo_b, like=side_a.photo if side_a else None)
    return ComparePage(lesion=lesion, visits=tuple(_visit_row(c) for c in cases), a=side_a, b=side_b)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _visit(by_id: dict[int, Case], wanted: Any) -> Case | None:
    """The visit asked for; Http404 for an id that is no visit of this lesion in the user's clinic."""
    if wanted in (None, ""):
        return None
    case = by_id.get(_int(wanted) or 0)
    if case is None:
        raise Http404("No such visit of this lesion.")
    return case


def _visit_row(case: Case) -> Visit:
    return Visit(case_id=case.pk, created_at=case.created_at, status_label=case.get_status_display())


def _side(case: Case, images: dict[int, list[LesionImage]], findings: dict[int, SignedFinding], wanted: Any,
          *, like: Photo | None) -> CompareSide:
    own = images[case.pk]
    positions = image_positions(own)
    photos = tuple(Photo(image_id=i.pk, position=positions[i.pk], capture_type_label=i.get_capture_type_display(),
                         width=i.width, height=i.height) for i in own)
    usable = [p for p, i in zip(photos, own, strict=True) if not i.is_ungradable] or list(photos)
    # A photo id that is not this visit's (the picker kept after the visit changed) falls back to the default:
    # only this visit's own photos can ever be chosen.
    photo = next((p for p in photos if p.image_id == _int(wanted)), None)
    if photo is None:
        same_kind = [p for p in usable if like is not None and p.capture_type_label == like.capture_type_label]
        photo = (same_kind or usable or [None])[0]
    return CompareSide(visit=_visit_row(case), photos=photos, photo=photo, finding=findings.get(case.pk))
