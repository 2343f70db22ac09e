"""The reviewer's page for one case (`/review/cases/<pk>/`): photos, AI drafts, sign-offs and what the user may do.

Forms stay with the view (they carry the reviewer's input); everything read from the database is here. The drafts
are left out entirely while the user may not see them (blind-first), so no template can show one by mistake.
Opening the page never claims the case: a reviewer who may take it gets `can_start_review` (the "Start review"
POST), and the blind-entry and sign forms are offered only while they hold the claim (`held_by_me`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from dermreview.accounts.roles import can_review
from dermreview.cases.models import Case, CaseStatus
from dermreview.cases.selectors import LesionClassMapping, image_positions, lesion_class_mappings
from dermreview.drafting.models import FINDING_FIELDS, Draft, DraftStatus
from dermreview.drafting.models.fields import FIELD_LABELS
from dermreview.review.models import Review
from dermreview.review.selectors.rows import (
    FindingRow,
    ImageTile,
    SignOff,
    image_tile,
    sign_off,
)
from dermreview.review.services.blind import blind_entry_required, blind_finding_for, draft_visible_to
from dermreview.review.services.plan import SignedFinding, follow_up_choices, previous_visit, signed_findings
from dermreview.review.services.signoff import current_reviews

REVIEWABLE = (CaseStatus.AWAITING_REVIEW, CaseStatus.NEEDS_SECOND_REVIEW)


@dataclass(frozen=True, slots=True)
class DraftChoice:
    """One AI draft of the case as the review page offers it (only built when the user may see drafts)."""

    draft_id: int
    image_id: int
    image_position: int  # "Photo N": the photo's place on the case (`cases.selectors.image_positions`)
    image_ungradable: bool
    capture_type_label: str
    status: str
    status_label: str
    model_id: str
    model_revision: str
    resolved_revision: str  # the commit(s) the engine's weights came from; "" when it could not tell
    prompt_version: str
    fields: tuple[tuple[str, str], ...]  # (name, text), in FINDING_FIELDS order
    # The class the lesion type (an AI suggestion, not a diagnosis) maps to: what signing that text records.
    lesion_class: LesionClassMapping

    def finding_fields(self) -> dict[str, str]:
        return dict(self.fields)


@dataclass(frozen=True, slots=True)
class PreviousVisit:
    """The lesion's visit before this one: one click away on a follow-up visit's review page."""

    case_id: int
    lesion_id: int
    created_at: datetime
    status_label: str
    finding: SignedFinding | None  # None: not signed (final) yet


@dataclass(frozen=True, slots=True)
class ReviewPage:
    case: Case
    images: tuple[ImageTile, ...]
    drafts: tuple[DraftChoice, ...]  # every draft of the case; empty while the user may not see drafts
    ready_drafts: tuple[DraftChoice, ...]
    draft: DraftChoice | None  # the ready draft the form starts from; None: manual entry, or drafts withheld
    draft_visible: bool
    needs_blind: bool  # the blind-entry form is shown now: blind finding missing, and the user holds the claim
    blind_pending: bool  # the user must still record a blind finding before seeing the draft (claimed or not)
    blind_rows: tuple[FindingRow, ...]  # the user's own blind finding, as a reminder
    blind_fields: tuple[tuple[str, str], ...]  # the same, (name, text): the sign form starts from it
    holder: str  # who holds an unexpired claim; "" when no one does
    held_by_me: bool
    can_start_review: bool  # a reviewer who may take the case now: "Start review" claims it
    reviews: tuple[SignOff, ...]  # the standing sign-offs of the latest version
    history: tuple[SignOff, ...]  # every sign-off, voided ones included
    second_round: bool
    first_reviewer_is_me: bool
    high_risk_flag: bool
    can_write: bool
    reviewable: bool
    can_amend: bool
    last_review: SignOff | None
    can_mark_ungradable: bool
    previous: PreviousVisit | None = None  # a follow-up visit's previous visit; None on a first visit
    follow_up_choices: tuple[tuple[int, date], ...] = ()  # the plan's "3 / 6 / 12 months" buttons


def review_page(*, user: Any, case: Case, draft_id: Any = None, default_first: bool = True) -> ReviewPage:
    """What the review page shows `user` (a reader of `case`'s organisation: the caller checked access).

    `draft_id` picks the ready draft the form starts from; without one, when `default_first` (a fresh page), the
    newest usable (not ungradable) photo's ready draft, else none (a re-shown form submitted without a draft).
    """
    visible = draft_visible_to(case=case, user=user)
    images = list(case.images.select_related("ungradable_by"))
    positions = image_positions(images)
    drafts = _drafts(case, positions) if visible else ()
    ready = tuple(d for d in drafts if d.status == DraftStatus.READY)
    holder = case.active_claim_holder()
    writer = can_review(user)
    held_by_me = holder is not None and holder.pk == user.pk
    # Blind entry is offered only to whoever holds the claim: "Start review" first.
    blind_pending = writer and blind_entry_required(case=case, user=user)
    reviews = tuple(current_reviews(case=case))
    history = Review.objects.filter(case_id=case.pk).select_related("reviewer", "voided_by").order_by("version", "round")
    first_round = next((r for r in reviews if r.round == 1), None)
    first_reviewer_is_me = first_round is not None and first_round.reviewer_id == user.pk
    second_round = case.status == CaseStatus.NEEDS_SECOND_REVIEW
    blind_fields = _blind_fields(case, user)
    return ReviewPage(
        case=case, images=tuple(image_tile(i, position=positions[i.pk]) for i in images),
        drafts=drafts, ready_drafts=ready, draft=_chosen(ready, draft_id, default_first=default_first),
        draft_visible=visible, needs_blind=blind_pending and held_by_me, blind_pending=blind_pending,
        blind_fields=blind_fields, blind_rows=tuple(FindingRow(FIELD_LABELS[n], v) for n, v in blind_fields),
        holder=str(holder) if holder is not None else "", held_by_me=held_by_me,
        can_start_review=(writer and case.status in REVIEWABLE and holder is None
                          and not (second_round and first_reviewer_is_me)),
        reviews=tuple(sign_off(r) for r in reviews), history=tuple(sign_off(r) for r in history),
        second_round=second_round, first_reviewer_is_me=first_reviewer_is_me,
        # From the drafts only when the user may see them: a blind reviewer must not learn the draft's class.
        high_risk_flag=case.high_risk or any(d.lesion_class.high_risk for d in ready),
        can_write=writer, reviewable=case.status in REVIEWABLE,
        can_amend=writer and case.status == CaseStatus.FINAL and bool(reviews),
        last_review=sign_off(reviews[-1]) if reviews else None,
        can_mark_ungradable=writer and case.status == CaseStatus.AWAITING_REVIEW and held_by_me,
        previous=_previous(case), follow_up_choices=tuple(follow_up_choices(timezone.localdate())),
    )


def _previous(case: Case) -> PreviousVisit | None:
    earlier = previous_visit(case)
    if earlier is None or case.lesion_id is None:
        return None
    return PreviousVisit(case_id=earlier.pk, lesion_id=case.lesion_id, created_at=earlier.created_at,
                         status_label=earlier.get_status_display(),
                         finding=signed_findings([earlier.pk]).get(earlier.pk))


def ready_draft_for(*, case: Case, draft_id: Any) -> Draft | None:
    """The case's ready draft with this id (the one a sign-off names), or None for a missing or foreign id."""
    if draft_id in (None, ""):
        return None
    try:
        return Draft.objects.select_related("image").get(image__case_id=case.pk, status=DraftStatus.READY,
                                                         pk=int(draft_id))
    except (ValueError, TypeError, Draft.DoesNotExist):
        return None


def _drafts(case: Case, positions: dict[int, int]) -> tuple[DraftChoice, ...]:
    drafts = list(Draft.objects.filter(image__case_id=case.pk).select_related("image")
                  .order_by("image__created_at", "created_at", "pk"))
    classes = lesion_class_mappings([d.lesion_type for d in drafts], organisation_id=case.organisation_id)
    return tuple(
        DraftChoice(
            draft_id=d.pk, image_id=d.image_id, image_position=positions.get(d.image_id, 0),
            image_ungradable=d.image.is_ungradable, capture_type_label=d.image.get_capture_type_display(),
            status=d.status, status_label=d.get_status_display(), model_id=d.model_id,
            model_revision=d.model_revision, resolved_revision=d.resolved_revision, prompt_version=d.prompt_version,
            fields=tuple((name, getattr(d, name)) for name in FINDING_FIELDS), lesion_class=lesion_class,
        )
        for d, lesion_class in zip(drafts, classes, strict=True)
    )


def _chosen(ready: tuple[DraftChoice, ...], draft_id: Any, *, default_first: bool) -> DraftChoice | None:
    if draft_id in (None, ""):
        return default_draft(ready) if default_first else None
    try:
        wanted = int(draft_id)
    except (ValueError, TypeError):
        return None
    return next((d for d in ready if d.draft_id == wanted), None)


def default_draft(ready: tuple[DraftChoice, ...]) -> DraftChoice | None:
    """The draft a fresh form starts from: the newest usable photo's, since a photo marked ungradable was
    replaced by a later upload; the newest of all only when every photo with a ready draft is ungradable."""
    usable = [d for d in ready if not d.image_ungradable] or list(ready)
    return max(usable, key=lambda d: (d.image_position, d.draft_id), default=None)


def _blind_fields(case: Case, user: Any) -> tuple[tuple[str, str], ...]:
    finding = blind_finding_for(case=case, user=user) if case.blind_first else None
    if finding is None:
        return ()
    return tuple(finding.finding_fields().items())
