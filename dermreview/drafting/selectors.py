"""What the pages and the API show about each image's AI draft, and to whom. Reads only: no audit rows.

Everyone who may see the case sees each image's processing status (queued with its queue position, running, draft
ready, needs manual entry with the reason, failed with the reason). Only reviewers, auditors and admins see the
draft's six fields and raw output, always labelled as an unreviewed AI draft; clinicians never see a draft
presented as a finding. For blind-first cases the fields stay hidden until the review app's `draft_visible_to` allows
them: the review app passes that decision in (`review.selectors.drafts`), as drafting may not import review.

Showing a draft's fields is audited (`draft.view`) by `drafting.services.draft_view.draft_view_record`, which the
view calls once it has decided what the user sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, Q, Value, When

from dermreview.accounts.roles import can_audit, can_review
from dermreview.cases.models import DiagnosisClass
from dermreview.cases.selectors import LesionClassMapping, lesion_class_mapping
from dermreview.drafting.models import FINDING_FIELDS, Draft, DraftStatus, FailureKind
from dermreview.drafting.models.fields import FIELD_LABELS
from dermreview.drafting.services.gating import drafting_allowed
from dermreview.drafting.services.identity import DEMO_MODEL_ID, TEST_MODEL_IDS, model_identity

if TYPE_CHECKING:
    from dermreview.cases.models import Case, LesionImage

PAUSED_MESSAGE = "AI drafting is paused — review by manual entry"
PENDING = frozenset({DraftStatus.QUEUED, DraftStatus.RUNNING})

# Why a ready draft's fields are withheld (the API's `withheld_reason` uses the same words).
WITHHELD_ROLE = "role"  # clinicians never see drafts
WITHHELD_BLIND = "blind_entry_required"  # blind-first case, before the reviewer's own finding


@dataclass(frozen=True, slots=True)
class DraftFieldRow:
    name: str
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class DraftTimings:
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    queue_wait_ms: float | None
    preprocess_ms: float | None
    generate_ms: float | None
    batch_size: int | None
    prompt_tokens: int | None
    output_tokens: int | None
    attempts: int


@dataclass(frozen=True, slots=True)
class ImageDraftView:
    """One image's draft as shown on the pages, in the status JSON and in the API.

    `fields` and `raw_output` are filled only where this user may see them, so whoever renders the view cannot
    leak a withheld draft by mistake.
    """

    image_id: int
    case_id: int
    draft_id: int | None
    status: str  # a DraftStatus value, or "none" when no draft exists
    status_label: str
    detail: str
    queue_position: int | None
    paused: bool
    is_test_model: bool
    withheld_reason: str  # WITHHELD_ROLE or WITHHELD_BLIND for a ready draft whose fields are not shown, else ""
    fields: tuple[DraftFieldRow, ...]
    raw_output: str | None
    failure_kind: str
    model_id: str | None
    model_revision: str | None
    resolved_revision: str | None  # the commit(s) the weights came from, as the engine reported; "" unknown
    prompt_version: str | None
    backend: str | None
    timings: DraftTimings | None
    # The class the draft's lesion type (an AI suggestion, not a diagnosis) maps to; None unless fields are shown.
    lesion_class: LesionClassMapping | None = None

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    @property
    def is_demo_model(self) -> bool:
        """Drafted by the demo model trained on synthetic drawings (a test model that writes readable text)."""
        return self.model_id == DEMO_MODEL_ID

    @property
    def fields_shown(self) -> bool:
        return bool(self.fields)

    @property
    def show_raw_output(self) -> bool:
        return self.raw_output is not None

    @property
    def shown_to_user(self) -> bool:
        """Whether this user is shown the draft's text (fields or raw output): what `draft.view` records."""
        return self.draft_id is not None and (self.fields_shown or self.show_raw_output)

    @property
    def finding(self) -> dict[str, str] | None:
        """The shown fields by name (the API's `fields`), or None when they are withheld."""
        return {row.name: row.value for row in self.fields} if self.fields else None

    def as_json(self) -> dict[str, Any]:
        return {
            "image_id": self.image_id,
            "draft_id": self.draft_id,
            "status": self.status,
            "status_label": self.status_label,
            "detail": self.detail,
            "queue_position": self.queue_position,
            "pending": self.pending,
        }


def current_drafts(*, images: Sequence[LesionImage]) -> dict[int, Draft]:
    """The draft to show per image: the one for the configured model if it exists, else the newest. One query."""
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


def queue_positions(*, drafts: Iterable[Draft]) -> dict[int, int]:
    """For each queued draft, how many queued drafts (of every organisation) a worker will take before it.

    Global, because the workers serve every organisation first come, first served; only a count is revealed.
    One aggregate query for all the drafts, so a case with many queued photos costs no more than one with one.
    """
    queued = [d for d in drafts if d.status == DraftStatus.QUEUED and d.queued_at is not None]
    if not queued:
        return {}
    ahead = {
        f"ahead_{d.pk}": Count("pk", filter=Q(queued_at__lt=d.queued_at) | Q(queued_at=d.queued_at, pk__lt=d.pk))
        for d in queued
    }
    counts = Draft.objects.filter(status=DraftStatus.QUEUED).aggregate(**ahead)
    return {d.pk: counts[f"ahead_{d.pk}"] for d in queued}


def image_draft_views(
    *, images: Sequence[LesionImage], case: Case, user: Any, fields_visible: bool,
) -> list[ImageDraftView]:
    """The draft status (and, where allowed, the draft) of each image, in the order given.

    `fields_visible`: whether `user` may see the drafts' text now. The caller decides, because the blind-first rule
    belongs to the review app (`review.selectors.drafts.case_draft_views` asks it); this function only keeps
    clinicians from ever seeing a draft. A bounded number of queries whatever the number of images: the drafts,
    the kill switches and the queue positions, each once.
    """
    drafts = current_drafts(images=images)
    # The setting, the global and clinic switches, and the clinic's approved model version (`gating`).
    paused = not drafting_allowed(case.organisation_id, bootstrap=False)
    positions = queue_positions(drafts=drafts.values())
    role_allows = can_review(user) or can_audit(user)
    show_fields = fields_visible and role_allows
    withheld = "" if show_fields else (WITHHELD_BLIND if role_allows else WITHHELD_ROLE)
    views = [
        _view(image.pk, case.pk, drafts.get(image.pk), paused=paused, position_by_draft=positions,
              show_fields=show_fields, withheld=withheld, show_failure_message=role_allows)
        for image in images
    ]
    return _with_lesion_classes(views, organisation_id=case.organisation_id)


def _with_lesion_classes(views: list[ImageDraftView], *, organisation_id: int | None) -> list[ImageDraftView]:
    """Each shown draft with the class its lesion type maps to (one vocabulary query, only when a draft is shown)."""
    if not any(view.fields for view in views):
        return views
    vocabulary = DiagnosisClass.objects.vocabulary(organisation_id)
    return [
        replace(view, lesion_class=lesion_class_mapping(view.finding["lesion_type"], vocabulary=vocabulary))
        if view.finding else view
        for view in views
    ]


def _view(image_id: int, case_id: int, draft: Draft | None, *, paused: bool, position_by_draft: dict[int, int],
          show_fields: bool, withheld: str, show_failure_message: bool) -> ImageDraftView:
    if draft is None:
        return ImageDraftView(
            image_id=image_id, case_id=case_id, draft_id=None, status="none", status_label="No AI draft",
            detail=PAUSED_MESSAGE if paused else "No AI draft was requested.", queue_position=None, paused=paused,
            is_test_model=False, withheld_reason="", fields=(), raw_output=None, failure_kind="", model_id=None,
            model_revision=None, resolved_revision=None, prompt_version=None, backend=None, timings=None,
        )
    status = draft.status
    position = position_by_draft.get(draft.pk) if status == DraftStatus.QUEUED else None
    ready = status == DraftStatus.READY
    fields = tuple(DraftFieldRow(name, FIELD_LABELS[name], getattr(draft, name)) for name in FINDING_FIELDS)
    raw_shown = (show_fields and bool(draft.raw_output)
                 and status in (DraftStatus.NEEDS_MANUAL_ENTRY, DraftStatus.FAILED))
    return ImageDraftView(
        image_id=image_id, case_id=case_id, draft_id=draft.pk, status=status,
        status_label=str(DraftStatus(status).label),
        detail=_detail(draft, paused=paused, position=position, show_failure_message=show_failure_message),
        queue_position=position, paused=paused, is_test_model=draft.model_id in TEST_MODEL_IDS,
        withheld_reason=withheld if ready else "",
        fields=fields if (ready and show_fields) else (), raw_output=draft.raw_output if raw_shown else None,
        failure_kind=draft.failure_kind, model_id=draft.model_id, model_revision=draft.model_revision,
        resolved_revision=draft.resolved_revision, prompt_version=draft.prompt_version, backend=draft.backend,
        timings=DraftTimings(
            queued_at=draft.queued_at, started_at=draft.started_at, finished_at=draft.finished_at,
            queue_wait_ms=draft.queue_wait_ms, preprocess_ms=draft.preprocess_ms, generate_ms=draft.generate_ms,
            batch_size=draft.batch_size, prompt_tokens=draft.prompt_tokens, output_tokens=draft.output_tokens,
            attempts=draft.attempts,
        ),
    )


def _detail(draft: Draft, *, paused: bool, position: int | None, show_failure_message: bool) -> str:
    status = draft.status
    if status == DraftStatus.QUEUED:
        if paused:
            return PAUSED_MESSAGE
        if position is not None:
            if position == 0:
                return "Next in the queue."
            return f"{position} photo{'' if position == 1 else 's'} ahead in the queue."
        return ""
    if status == DraftStatus.RUNNING:
        return "The AI model is drafting a description."
    if status == DraftStatus.NEEDS_MANUAL_ENTRY:
        return f"{_kind_label(draft.failure_kind)}. Enter the finding by hand."
    if status == DraftStatus.FAILED:
        retrying = (draft.failure_kind in FailureKind.retryable_values()
                    and draft.attempts < settings.DERMREVIEW_DRAFT_MAX_ATTEMPTS and not paused)
        # The technical message (it can name server paths or hosts) is for reviewers, auditors and admins;
        # clinicians get the kind of failure in plain words.
        message = draft.failure_message if show_failure_message else ""
        reason = message or _kind_label(draft.failure_kind)
        detail = f"{_kind_label(draft.failure_kind)}: {reason}" if message else reason
        detail = detail.rstrip() if detail.rstrip().endswith(".") else f"{detail.rstrip()}."
        return detail + (" Retrying automatically." if retrying else " Enter the finding by hand.")
    return ""


def _kind_label(kind: str) -> str:
    try:
        return str(FailureKind(kind).label)
    except ValueError:
        return "No usable draft"
