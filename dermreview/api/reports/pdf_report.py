"""What the PDF report of a final finding says, gathered once into a frozen `CaseReport` (the template only formats).

The report is for the referring clinician: the clinic, the pseudonymous patient, the lesion and where it is on the
body map, the photos (beside the previous visit's photo and signed finding when there is one), the signed,
human-confirmed finding with the management plan and the change since the previous visit, every signer of the
finding's version, what the AI drafted and what the humans confirmed (never the AI's text: clinicians see a
draft's status, never its fields), the case's status history, and the audit event of the sign-off that made the
finding final. Its hash anchors the report: `manage.py audit_verify` proves the event unaltered, and the event
names the finding the report shows.

Only final cases have a report (`ReportNotAvailable` otherwise: there is no finding to report yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Q

from dermreview.api.reports.figures import BodyMapPosition, ReportPhoto, body_map_position, report_photo
from dermreview.audit.models import AuditEvent
from dermreview.cases.models import Case, CaseStatus
from dermreview.cases.selectors import image_positions
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.drafting.models.fields import FIELD_LABELS
from dermreview.review.errors import ReviewNotAllowed
from dermreview.review.models import Review, ReviewOutcome
from dermreview.review.models.plan import ChangeAspect, ChangeSincePrevious, ManagementPlan
from dermreview.review.models.review import round_label
from dermreview.review.selectors.rows import FindingRow
from dermreview.review.services.signoff import current_reviews

# The sign-offs whose audit event can anchor a final finding: its last sign-off made the case final.
SIGN_ACTIONS = ("review.sign", "review.reject_draft", "review.adjudicate", "review.amend")
# The events that change a case's status, for the report's case history.
HISTORY_ACTIONS = ("case.create", "case.transition", "case.new_photo_requested", *SIGN_ACTIONS)
HISTORY_LABELS = {
    "case.create": "Case opened", "case.transition": "Status changed", "case.new_photo_requested":
    "New photo requested", "review.sign": "Signed", "review.reject_draft": "Signed (AI draft rejected)",
    "review.adjudicate": "Disagreement settled", "review.amend": "Finding amended",
}
NOT_A_DIAGNOSTIC_TOOL = (
    "The AI model is not a diagnostic tool: its model card states it can hallucinate or misclassify rare "
    "conditions and that human oversight is strictly required. Its draft is never a finding; only the "
    "reviewer-confirmed finding in this report is."
)


class ReportNotAvailable(ReviewNotAllowed):
    """The case has no final finding to report (409, as every refusal of an action in the wrong state)."""

    def __init__(self, case: Case) -> None:
        super().__init__(
            f"Case {case.pk} is not final ({case.get_status_display()}): a report is available only once the "
            "finding is signed and final.", code="not_final")


@dataclass(frozen=True, slots=True)
class ReportSigner:
    reviewer: str
    round_label: str
    outcome: str
    signed_at: datetime
    edited: tuple[str, ...]  # the labels of the fields this signer changed


@dataclass(frozen=True, slots=True)
class AiDisclosure:
    """What the AI drafted and what the humans confirmed, without the AI's own text."""

    drafted: bool
    model_id: str
    model_revision: str
    prompt_version: str
    resolved_revision: str
    outcome: str
    changed: tuple[str, ...]  # field labels the reviewer changed from the draft
    accepted: tuple[str, ...]  # field labels accepted as drafted
    statement: str = NOT_A_DIAGNOSTIC_TOOL


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    actor: str
    event: str
    change: str  # "Awaiting review → Final"


@dataclass(frozen=True, slots=True)
class PreviousVisit:
    case_id: int
    visited_at: datetime
    status: str
    photo: ReportPhoto | None
    rows: tuple[FindingRow, ...]  # its signed finding; empty when it has none
    signed_at: datetime | None
    plan: str


@dataclass(frozen=True, slots=True)
class AuditAnchor:
    sequence: int
    action: str
    created_at: datetime
    hash: str
    hash_scheme: str


@dataclass(frozen=True, slots=True)
class CaseReport:
    clinic: str
    case_id: int
    version: int
    generated_at: datetime
    generated_by: str
    patient_ref: str
    birth_year: int | None
    sex: str
    fitzpatrick: str
    body_site: str
    laterality: str
    lesion_label: str
    body_map: BodyMapPosition | None
    photos: tuple[ReportPhoto, ...]
    lesion_class: str
    rows: tuple[FindingRow, ...]
    plan: str
    follow_up_on: date | None
    change: str
    change_aspects: tuple[str, ...]
    signers: tuple[ReportSigner, ...]
    resolution: str
    amendment_reason: str
    ai: AiDisclosure
    previous: PreviousVisit | None
    history: tuple[HistoryEntry, ...]
    anchor: AuditAnchor | None


def case_report(*, case: Case, generated_by: str, generated_at: datetime) -> CaseReport:
    """The report of `case`'s current final finding. The caller has checked access (`get_case_for_user`)."""
    reviews = current_reviews(case=case)
    if case.status != CaseStatus.FINAL or not reviews:
        raise ReportNotAvailable(case)
    final = reviews[-1]
    case = Case.objects.select_related("organisation", "patient", "lesion").get(pk=case.pk)
    patient, lesion = case.patient, case.lesion
    return CaseReport(
        clinic=case.organisation.name, case_id=case.pk, version=final.version, generated_at=generated_at,
        generated_by=generated_by, patient_ref=patient.reference if patient else case.patient_ref,
        birth_year=patient.birth_year if patient else None,
        sex=patient.get_sex_display() if patient else "",
        fitzpatrick=patient.fitzpatrick_type if patient else "",
        body_site=(lesion or case).get_body_site_display(),
        laterality=lesion.get_laterality_display() if lesion else "",
        lesion_label=(lesion.label if lesion else "") or case.lesion_label,
        body_map=body_map_position(lesion), photos=_photos(case),
        lesion_class=final.lesion_class.name if final.lesion_class_id else "",
        rows=_rows(final), **_plan(final),
        signers=tuple(_signer(review) for review in reviews),
        resolution=final.get_resolution_display() if final.resolution else "",
        amendment_reason=next((r.amendment_reason for r in reviews if r.amendment_reason), ""),
        ai=_ai_disclosure(reviews), previous=_previous_visit(case), history=_history(case),
        anchor=_anchor(final),
    )


def _rows(review: Review) -> tuple[FindingRow, ...]:
    return tuple(FindingRow(FIELD_LABELS[name], getattr(review, name)) for name in FINDING_FIELDS)


def _plan(review: Review) -> dict[str, Any]:
    """The management plan and the change since the previous visit: empty on sign-offs older than these fields."""
    plan = str(ManagementPlan(review.management_plan).label) if review.management_plan else ""
    change = (str(ChangeSincePrevious(review.change_since_previous).label)
              if review.change_since_previous else "")
    aspects = tuple(str(ChangeAspect(a).label) for a in review.change_aspects or () if a in ChangeAspect.values)
    return {"plan": plan, "follow_up_on": review.follow_up_on, "change": change, "change_aspects": aspects}


def _signer(review: Review) -> ReportSigner:
    return ReportSigner(
        reviewer=str(review.reviewer), round_label=round_label(review.round),
        outcome=review.get_outcome_display(), signed_at=review.signed_at,
        edited=tuple(FIELD_LABELS.get(name, name) for name in review.edited_fields or ()),
    )


def _ai_disclosure(reviews: list[Review]) -> AiDisclosure:
    """From the version's first sign-off that saw an AI draft (a resolving round 3 never shows one)."""
    shown = next((r for r in reviews if r.draft_snapshot or r.draft_id), None)
    if shown is None:
        return AiDisclosure(drafted=False, model_id="", model_revision="", prompt_version="", resolved_revision="",
                            outcome=str(ReviewOutcome.MANUAL.label), changed=(), accepted=())
    snapshot = shown.draft_snapshot or {}
    rejected = shown.outcome == ReviewOutcome.REJECTED_DRAFT
    edited = set(FINDING_FIELDS) if rejected else set(shown.edited_fields or ())
    return AiDisclosure(
        drafted=True, model_id=snapshot.get("model_id") or "unknown model",
        model_revision=snapshot.get("model_revision") or "unknown",
        prompt_version=snapshot.get("prompt_version") or "unknown",
        resolved_revision=snapshot.get("resolved_revision") or "",
        outcome=shown.get_outcome_display(),
        changed=tuple(FIELD_LABELS[n] for n in FINDING_FIELDS if n in edited),
        accepted=tuple(FIELD_LABELS[n] for n in FINDING_FIELDS if n not in edited),
    )


def _photos(case: Case) -> tuple[ReportPhoto, ...]:
    """Every photo of the visit as "Photo N", numbered as on every page (`image_positions`)."""
    images = list(case.images.all())
    positions = image_positions(images)
    return tuple(sorted((report_photo(image, positions[image.pk]) for image in images), key=lambda p: p.position))


def _previous_visit(case: Case) -> PreviousVisit | None:
    """The lesion's visit just before this one, with its first photo and its signed finding (when final)."""
    if case.lesion_id is None:
        return None
    before = Q(created_at__lt=case.created_at) | Q(created_at=case.created_at, pk__lt=case.pk)
    previous = (Case.objects.filter(before, lesion_id=case.lesion_id, organisation_id=case.organisation_id)
                .order_by("-created_at", "-pk").first())
    if previous is None:
        return None
    image = previous.images.order_by("created_at", "pk").first()
    reviews = current_reviews(case=previous) if previous.status == CaseStatus.FINAL else []
    final = reviews[-1] if reviews else None
    return PreviousVisit(
        case_id=previous.pk, visited_at=previous.created_at, status=previous.get_status_display(),
        photo=report_photo(image, 1) if image is not None else None,
        rows=_rows(final) if final else (), signed_at=final.signed_at if final else None,
        plan=_plan(final)["plan"] if final else "",
    )


def _history(case: Case) -> tuple[HistoryEntry, ...]:
    """The case's status changes, oldest first, from its audit events."""
    events = AuditEvent.objects.for_case(case.pk).filter(
        organisation_id=case.organisation_id, action__in=HISTORY_ACTIONS).order_by("sequence")
    return tuple(
        HistoryEntry(at=event.created_at, actor=event.actor_username or "system",
                     event=HISTORY_LABELS[event.action], change=_status_change(event.details))
        for event in events.only("created_at", "actor_username", "action", "details")
    )


def _status_change(details: Any) -> str:
    if not isinstance(details, dict):
        return ""
    old = details.get("status_from") or details.get("from")
    new = details.get("status_to") or details.get("to")
    if not new:
        return ""
    return f"{_status_label(old)} \u2192 {_status_label(new)}" if old else _status_label(new)


def _status_label(value: str) -> str:
    return str(CaseStatus(value).label) if value in CaseStatus.values else str(value)


def _anchor(final: Review) -> AuditAnchor | None:
    """The audit event of the sign-off that made the finding final; None only for rows written without one."""
    event = (AuditEvent.objects.filter(object_type="review.review", object_id=str(final.pk), case_id=final.case_id,
                                       action__in=SIGN_ACTIONS).order_by("-sequence").first())
    if event is None:
        return None
    return AuditAnchor(sequence=event.sequence, action=event.action, created_at=event.created_at, hash=event.hash,
                       hash_scheme=event.hash_scheme)
