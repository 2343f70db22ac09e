"""The case page (`/cases/<pk>/`): the photos with their AI draft status, the signed finding, the audit history.

It lives in the review app, not in cases, because it shows what drafting and review know about the case, and the
apps only import downward (audit < accounts < cases < drafting < review). A bounded number of queries whatever the
number of photos: the photos, their drafts and the finding are each read once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist

from dermreview.accounts.roles import Role, can_audit, can_create_cases, can_review, has_role
from dermreview.audit.models import AuditEvent
from dermreview.cases.models import CaptureType, Case, CaseStatus, LesionImage
from dermreview.cases.selectors import image_positions
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.drafting.models.fields import FIELD_LABELS
from dermreview.drafting.selectors import ImageDraftView
from dermreview.review.models import Review
from dermreview.review.selectors.drafts import case_draft_views
from dermreview.review.selectors.rows import (
    Disagreement,
    FindingRow,
    ImageTile,
    SignOff,
    image_tile,
    sign_off,
    version_disagreement,
)
from dermreview.review.services.plan import PlanSummary, plan_summary
from dermreview.review.services.signoff import current_reviews

# The page lists this many audit events and links to the audit browser for the rest.
CASE_HISTORY_LIMIT = 500


@dataclass(frozen=True, slots=True)
class CaseFinding:
    """The case's finding as people see it on the case page: only signed, human-confirmed text, never a draft.

    `final`: the last standing sign-off of the latest version when the case is final (round 2 for dual review,
    round 3 when a disagreement was settled), with every signer; `disagreement`: fields the two reviewers of a dual
    review (rounds 1 and 2, never the settling round 3) disagreed on, with both texts. While an amendment awaits
    its second reviewer or an adjudication, `final` is still the version it supersedes (the current signed
    finding) and `amending` is the amendment's first sign-off. `supersedes_version`: the version an amendment
    replaced, once it is final. `amendment_reason`: why the shown version was amended (stated on its round 1).
    """

    final: SignOff | None
    rows: tuple[FindingRow, ...]
    signers: tuple[SignOff, ...]
    first_signed: SignOff | None  # the first sign-off while the case waits for a second reviewer
    disagreeing: tuple[SignOff, ...]  # the two sign-offs that disagree while the case awaits adjudication
    amending: SignOff | None  # the pending amendment's first sign-off (the case is not final meanwhile)
    supersedes_version: int | None
    amendment_reason: str
    disagreement: tuple[Disagreement, ...]
    resolution: str  # how a dual review was resolved (`ReviewResolution`'s label); "" for a single review
    superseded_count: int
    ungradable: tuple[ImageTile, ...]  # the photos a reviewer could not grade, when a new photo is requested
    can_review: bool
    can_read_reviews: bool
    can_amend: bool
    plan: PlanSummary | None = None  # the finding's management plan and change since the previous visit


@dataclass(frozen=True, slots=True)
class AuditChange:
    """One changed value of an audited edit, for people: "Body site: Back → Face"."""

    label: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class AuditRow:
    sequence: int
    created_at: datetime
    actor_username: str
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any]
    changes: tuple[AuditChange, ...] = ()


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """The limits `images_upload` enforces, so the form states them before anyone hits them."""

    max_files: int
    max_mb: str
    max_megapixels: str
    capture_types: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class CasePage:
    case: Case
    images: tuple[ImageTile, ...]
    finding: CaseFinding
    # Auditors and admins of the case's organisation only (None for everyone else), newest first.
    audit_history: tuple[AuditRow, ...] | None
    audit_history_more: bool  # more than CASE_HISTORY_LIMIT events: the page links to the audit browser
    can_upload: bool
    can_edit: bool
    # The patient's training opt-out is consent, not signed context: clinicians and the clinic's administrators.
    can_set_training_use: bool
    upload_limits: UploadLimits

    @property
    def draft_views(self) -> tuple[ImageDraftView, ...]:
        return tuple(image.draft for image in self.images if image.draft is not None)


def case_images(*, user: Any, case: Case) -> tuple[ImageTile, ...]:
    """The case's photos, oldest first, each with its AI draft status (and the draft, where `user` may see it)."""
    images = list(case.images.select_related("ungradable_by"))
    views = case_draft_views(user=user, case=case, images=images)
    positions = image_positions(images)
    return tuple(image_tile(image, view, position=positions[image.pk])
                 for image, view in zip(images, views, strict=True))


def case_page(*, user: Any, case: Case, images: Sequence[ImageTile] | None = None) -> CasePage:
    """Everything the case page shows `user` (who may see `case`: the caller checked access).

    Pass `images` from `case_images` when the view has already read them (to record what it shows before the
    audit history is read, so the history includes this visit).
    """
    tiles = tuple(images) if images is not None else case_images(user=user, case=case)
    history = _audit_history(user=user, case=case)
    return CasePage(
        case=case, images=tiles, finding=case_finding(user=user, case=case, images=tiles),
        audit_history=history[:CASE_HISTORY_LIMIT] if history is not None else None,
        audit_history_more=history is not None and len(history) > CASE_HISTORY_LIMIT,
        can_upload=can_create_cases(user) and case.accepts_uploads, can_edit=can_create_cases(user),
        can_set_training_use=has_role(user, Role.CLINICIAN, Role.CLINIC_ADMIN), upload_limits=upload_limits(),
    )


def case_finding(*, user: Any, case: Case, images: Sequence[ImageTile]) -> CaseFinding:
    reviews = current_reviews(case=case)
    is_final = case.status == CaseStatus.FINAL and bool(reviews)
    amending = not is_final and bool(reviews) and reviews[0].supersedes_id is not None
    shown = reviews if is_final else _amended_version(case, reviews[0].version - 1) if amending else []
    final = shown[-1] if shown else None
    awaiting_second = case.status == CaseStatus.NEEDS_SECOND_REVIEW and bool(reviews)
    adjudicating = case.status == CaseStatus.NEEDS_ADJUDICATION
    return CaseFinding(
        final=sign_off(final) if final else None,
        rows=tuple(FindingRow(FIELD_LABELS[name], getattr(final, name)) for name in FINDING_FIELDS) if final else (),
        signers=tuple(sign_off(r) for r in shown),
        first_signed=sign_off(reviews[0]) if awaiting_second else None,
        disagreeing=tuple(sign_off(r) for r in reviews if r.round in (1, 2)) if adjudicating else (),
        amending=sign_off(reviews[0]) if amending else None,
        # A version after 1 only comes from an amendment (whose round 2, if any, does not name what it supersedes).
        supersedes_version=final.version - 1 if is_final and final is not None and final.version > 1 else None,
        amendment_reason=next((r.amendment_reason for r in shown if r.amendment_reason), ""),
        disagreement=version_disagreement(shown),
        resolution=final.get_resolution_display() if final is not None and final.resolution else "",
        superseded_count=Review.objects.filter(case_id=case.pk, voided_at__isnull=False).count(),
        ungradable=tuple(i for i in images if i.is_ungradable) if case.status == CaseStatus.NEEDS_NEW_PHOTO else (),
        can_review=can_review(user), can_read_reviews=can_review(user) or can_audit(user),
        can_amend=can_review(user) and is_final, plan=plan_summary(list(shown)),
    )


def _amended_version(case: Case, version: int) -> list[Review]:
    """The sign-offs of `version` (voided by the pending amendment), in round order."""
    return list(Review.objects.filter(case_id=case.pk, version=version)
                .select_related("reviewer", "voided_by").order_by("round"))


def _audit_history(*, user: Any, case: Case) -> tuple[AuditRow, ...] | None:
    """The case's audit events, newest first, one more than the limit (to tell there are more); None unless
    `user` audits the case's organisation."""
    if not can_audit(user) or user.organisation_id is None or case.organisation_id != user.organisation_id:
        return None
    events = (AuditEvent.objects.for_organisation(user.organisation_id).for_case(case.pk)
              .order_by("-sequence")[: CASE_HISTORY_LIMIT + 1])
    return tuple(
        AuditRow(sequence=e.sequence, created_at=e.created_at, actor_username=e.actor_username, action=e.action,
                 object_type=e.object_type, object_id=e.object_id, details=e.details,
                 changes=audit_changes(e.details))
        for e in events
    )


def audit_changes(details: Any) -> tuple[AuditChange, ...]:
    """The old → new values an audit event records (`changes` {field: [old, new]}, or a capture type's
    `old`/`new`), labelled and with choice values shown as people read them."""
    if not isinstance(details, dict):
        return ()
    changes = details.get("changes")
    if not isinstance(changes, dict):
        if "old" not in details or "new" not in details:
            return ()
        changes = {"capture_type": [details["old"], details["new"]]}
    return tuple(
        AuditChange(label=_change_label(name), old=_change_value(name, pair[0]), new=_change_value(name, pair[1]))
        for name, pair in changes.items() if isinstance(pair, list | tuple) and len(pair) == 2
    )


def _model_field(name: str) -> Any:
    for model in (Case, LesionImage):
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    return None


def _change_label(name: str) -> str:
    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    field = _model_field(name)
    label = str(getattr(field, "verbose_name", "") or name.replace("_", " "))
    return label[:1].upper() + label[1:]


def _change_value(name: str, value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    field = _model_field(name) if name not in FIELD_LABELS else None
    choices = dict(getattr(field, "flatchoices", None) or ())
    return str(choices.get(value, value))


def upload_limits() -> UploadLimits:
    return UploadLimits(
        max_files=settings.DERMREVIEW_UPLOAD_MAX_FILES,
        max_mb=f"{settings.DERMREVIEW_UPLOAD_MAX_BYTES / (1024 * 1024):g}",
        max_megapixels=f"{settings.DERMREVIEW_UPLOAD_MAX_PIXELS / 1_000_000:g}",
        capture_types=tuple((str(value), str(label)) for value, label in CaptureType.choices),
    )
