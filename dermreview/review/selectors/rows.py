"""Rows shared by the review area's pages: a photo, a sign-off, a field of a finding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dermreview.cases.models import LesionImage
from dermreview.drafting.models.fields import FIELD_LABELS
from dermreview.drafting.selectors import ImageDraftView
from dermreview.review.models import Review
from dermreview.review.models.review import round_label


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

    @property
    def round_label(self) -> str:
        return round_label(self.round)


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


def version_disagreement(version: Sequence[Review]) -> tuple[Disagreement, ...]:
    """Where a version's two reviewers (rounds 1 and 2) disagreed, with both texts (`version`: its sign-offs). A
    round 3 that settled the disagreement is its resolution, not a side of it."""
    by_round = {review.round: review for review in version}
    first, second = by_round.get(1), by_round.get(2)
    if first is None or second is None:
        return ()
    return tuple(
        Disagreement(label=FIELD_LABELS.get(name, name), first=getattr(first, name), second=getattr(second, name))
        for name in second.disagreement_fields
    )


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
