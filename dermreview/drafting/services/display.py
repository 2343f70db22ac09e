"""What the case page shows about each image's AI draft, and to whom.

Everyone who may see the case sees each image's processing status (queued with its queue position, running, draft
ready, needs manual entry with the reason, failed with the reason). Only reviewers, auditors and admins see the
draft's six fields and raw output, always labelled as an unreviewed AI draft; clinicians never see a draft
presented as a finding. For blind-first cases the fields stay hidden until `blind.draft_visible_to` allows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Value, When

from dermreview.accounts.roles import can_audit, can_review
from dermreview.audit.services.events import audit_log
from dermreview.drafting.models import FINDING_FIELDS, Draft, DraftingControl, DraftStatus, FailureKind
from dermreview.drafting.services.identity import TINY_MODEL_ID, model_identity
from dermreview.drafting.services.queue_depth import queue_positions
from dermreview.drafting.services.worker import RETRYABLE_FAILURES

if TYPE_CHECKING:
    from dermreview.cases.models import Case, LesionImage

PAUSED_MESSAGE = "AI drafting is paused — review by manual entry"
PENDING = frozenset({DraftStatus.QUEUED, DraftStatus.RUNNING})
FIELD_LABELS = {"lesion_type": "Lesion type", "color": "Colour", "symmetry": "Symmetry", "borders": "Borders",
                "texture": "Texture", "summary": "Summary"}


@dataclass
class ImageDraftView:
    """One image's draft as shown on the page (and in the status JSON)."""

    image_id: int
    draft: Draft | None
    status: str  # a DraftStatus value, or "none" when no draft exists
    status_label: str
    detail: str
    queue_position: int | None
    paused: bool
    show_fields: bool
    is_test_model: bool
    # Why a ready draft's fields are not shown: "role" (clinicians) or "blind" (blind-first, before the own finding).
    hidden_reason: str = ""

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    @property
    def fields(self) -> list[tuple[str, str]]:
        if self.draft is None or not self.show_fields or self.status != DraftStatus.READY:
            return []
        return [(FIELD_LABELS[name], getattr(self.draft, name)) for name in FINDING_FIELDS]

    @property
    def show_raw_output(self) -> bool:
        return bool(self.show_fields and self.draft is not None and self.draft.raw_output
                    and self.status in (DraftStatus.NEEDS_MANUAL_ENTRY, DraftStatus.FAILED))

    def as_json(self) -> dict[str, Any]:
        return {
            "image_id": self.image_id,
            "draft_id": self.draft.pk if self.draft else None,
            "status": self.status,
            "status_label": self.status_label,
            "detail": self.detail,
            "queue_position": self.queue_position,
            "pending": self.pending,
        }


def may_see_draft_fields(*, user: Any, case: Case) -> bool:
    """Reviewers, auditors and admins of the case's organisation (checked by the caller), blind-first rules kept."""
    if not (can_review(user) or can_audit(user)):
        return False
    from dermreview.review.services.blind import (
        draft_visible_to,  # the review area's rule for blind-first cases
    )

    return draft_visible_to(case=case, user=user)


def current_drafts(*, images: Sequence[LesionImage]) -> dict[int, Draft]:
    """The draft to show per image: the one for the configured model if it exists, else the newest."""
    identity = model_identity()
    mine = SqlCase(
        When(model_id=identity.model_id, model_revision=identity.model_revision,
             prompt_version=identity.prompt_version, then=Value(0)),
        default=Value(1), output_field=IntegerField(),
    )
    chosen: dict[int, Draft] = {}
    drafts = Draft.objects.filter(image__in=[i.pk for i in images]).annotate(other_model=mine)
    for draft in drafts.order_by("image_id", "other_model", "-created_at", "-pk"):
        chosen.setdefault(draft.image_id, draft)
    return chosen


def image_draft_views(*, images: Sequence[LesionImage], case: Case, user: Any) -> list[ImageDraftView]:
    """The draft status (and, where allowed, the draft) of each image, in the order given."""
    drafts = current_drafts(images=images)
    paused = not DraftingControl.drafting_allowed()
    positions = queue_positions(drafts=[d for d in drafts.values() if d.status == DraftStatus.QUEUED])
    role_allows = can_review(user) or can_audit(user)
    show_fields = may_see_draft_fields(user=user, case=case)
    hidden_reason = "" if show_fields else ("blind" if role_allows else "role")
    views = [_view(image.pk, drafts.get(image.pk), paused=paused, position_by_draft=positions,
                   show_fields=show_fields, show_failure_message=role_allows) for image in images]
    for view in views:
        view.hidden_reason = hidden_reason
    return views


def _view(image_id: int, draft: Draft | None, *, paused: bool, position_by_draft: dict[int, int],
          show_fields: bool, show_failure_message: bool = True) -> ImageDraftView:
    if draft is None:
        label, detail, status = ("No AI draft", PAUSED_MESSAGE if paused else "No AI draft was requested.", "none")
        return ImageDraftView(image_id, None, status, label, detail, None, paused, False, False)
    status = draft.status
    position = position_by_draft.get(draft.pk) if status == DraftStatus.QUEUED else None
    detail = ""
    if status == DraftStatus.QUEUED:
        if paused:
            detail = PAUSED_MESSAGE
        elif position is not None:
            detail = "Next in the queue." if position == 0 else f"{position} image(s) ahead in the queue."
    elif status == DraftStatus.RUNNING:
        detail = "The AI model is drafting a description."
    elif status == DraftStatus.NEEDS_MANUAL_ENTRY:
        detail = f"{_kind_label(draft.failure_kind)}. Enter the finding by hand."
    elif status == DraftStatus.FAILED:
        retrying = (draft.failure_kind in {str(k) for k in RETRYABLE_FAILURES}
                    and draft.attempts < settings.DERMREVIEW_DRAFT_MAX_ATTEMPTS and not paused)
        # The technical message (it can name server paths or hosts) is for reviewers, auditors and admins;
        # clinicians get the kind of failure in plain words.
        message = draft.failure_message if show_failure_message else ""
        reason = message or _kind_label(draft.failure_kind)
        detail = f"{_kind_label(draft.failure_kind)}: {reason}" if message else reason
        detail = detail.rstrip() if detail.rstrip().endswith(".") else f"{detail.rstrip()}."
        detail += " Retrying automatically." if retrying else " Enter the finding by hand."
    return ImageDraftView(
        image_id=image_id, draft=draft, status=status, status_label=DraftStatus(status).label, detail=detail,
        queue_position=position, paused=paused, show_fields=show_fields, is_test_model=draft.model_id == TINY_MODEL_ID,
    )


def _kind_label(kind: str) -> str:
    try:
        return str(FailureKind(kind).label)
    except ValueError:
        return "No usable draft"


def draft_view_record(*, views: Sequence[ImageDraftView], user: Any, case: Case) -> None:
    """Audit `draft.view` for each draft whose fields or raw output this user is being shown."""
    for view in views:
        if view.draft is not None and (view.fields or view.show_raw_output):
            audit_log(action="draft.view", actor=user, obj=view.draft, organisation=case.organisation,
                      case_id=case.pk,
                      details={"image_id": view.image_id, "status": view.status, "model_id": view.draft.model_id,
                               "prompt_version": view.draft.prompt_version})
