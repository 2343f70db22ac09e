"""Rows shared by the review area's pages: a photo, a sign-off, a field of a finding."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from dermreview.cases.models import LesionImage
from dermreview.drafting.selectors import ImageDraftView
from dermreview.review.models import Review


@dataclass(frozen=True, slots=True)
class ImageTile:
    """One photo of the case, with its AI draft status where the page shows it."""

    image_id: int
    capture_type: str
    capture_type_label: str
    width: int
    height: int
    created_at: datetime
    is_ungradable: bool
    ungradable_reason: str
    ungradable_by: str  # who marked it ungradable; "" when no one did
    draft: ImageDraftView | None = None
    position: int = 0  # "Photo N" everywhere: its place among the case's photos, from 1 (`image_positions`)


@dataclass(frozen=True, slots=True)
class SignOff:
    """A reviewer's sign-off as the pages list it."""

    review_id: int
    version: int
    round: int
    reviewer: str
    reviewer_id: int
    signed_at: datetime
    amendment_reason: str
    is_void: bool
    voided_at: datetime | None
    voided_by: str


@dataclass(frozen=True, slots=True)
class FindingRow:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A field the two reviewers of a dual review filled differently, with both texts."""

    label: str
    first: str
    second: str


def image_positions(images: Iterable[LesionImage]) -> dict[int, int]:
    """Photo number by image id: the place of each photo on its case, from 1, oldest first (the model's ordering,
    upload time then id). `images` must be all of one case's photos; pages, drafts, messages and the API use it."""
    ordered = sorted(images, key=lambda image: (image.created_at, image.pk))
    return {image.pk: n for n, image in enumerate(ordered, start=1)}


def image_position(image: LesionImage) -> int:
    """One photo's number on its case (one query); for messages about a single photo."""
    return image_positions(LesionImage.objects.filter(case_id=image.case_id).only("pk", "created_at")).get(image.pk, 0)


def image_tile(image: LesionImage, draft: ImageDraftView | None = None, *, position: int = 0) -> ImageTile:
    """`image` must come with `ungradable_by` selected, or naming who marked it costs a query per photo."""
    return ImageTile(
        image_id=image.pk, capture_type=image.capture_type, capture_type_label=image.get_capture_type_display(),
        width=image.width, height=image.height, created_at=image.created_at, is_ungradable=image.is_ungradable,
        ungradable_reason=image.ungradable_reason,
        ungradable_by=str(image.ungradable_by) if image.ungradable_by_id else "", draft=draft, position=position,
    )


def sign_off(review: Review) -> SignOff:
    """`review` must come with `reviewer` (and, for voided ones, `voided_by`) selected."""
    return SignOff(
        review_id=review.pk, version=review.version, round=review.round, reviewer=str(review.reviewer),
        reviewer_id=review.reviewer_id, signed_at=review.signed_at, amendment_reason=review.amendment_reason,
        is_void=review.is_void, voided_at=review.voided_at,
        voided_by=str(review.voided_by) if review.voided_by_id else "",
    )
