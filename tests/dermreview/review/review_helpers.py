"""Scenario builders for the review tests: cases awaiting review with real drafts, and sign-off shortcuts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from dermreview.cases.models import CaptureType, Case, CaseStatus
from dermreview.drafting.models import FINDING_FIELDS, Draft, DraftStatus
from dermreview.drafting.services.identity import model_identity
from dermreview.drafting.services.queueing import drafts_create_for_images
from dermreview.drafting.services.worker import draft_claim, draft_store_result
from dermreview.review.models import Review
from dermreview.review.services.adjudication import review_adjudicate
from dermreview.review.services.claim import case_claim
from dermreview.review.services.plan import PlanInput
from dermreview.review.services.signoff import review_sign
from inference_worker import DraftResult, Finding
from tests import factories

NEVUS = dict(factories.SAMPLE_FINDING)
MELANOMA = {
    "lesion_type": "melanoma",
    "color": "multiple colours (brown, black, blue-grey)",
    "symmetry": "asymmetric",
    "borders": "irregular, notched",
    "texture": "partly raised",
    "summary": "Asymmetric multicoloured lesion with irregular borders; suspicious for melanoma.",
}


def ready_case(
    owner: Any,
    *,
    draft: dict[str, str] | None = None,
    drafts: int = 1,
    blind_first: bool = False,
    status: str = CaseStatus.AWAITING_REVIEW,
    draft_status: str = DraftStatus.READY,
    created_at: Any = None,
    **case_fields: Any,
) -> Case:
    """A case of `owner`'s organisation awaiting review, with `drafts` photos each holding a draft."""
    case = factories.CaseFactory(organisation=owner.organisation, created_by=owner, status=status,
                                 blind_first=blind_first, **case_fields)
    if created_at is not None:
        Case.objects.filter(pk=case.pk).update(created_at=created_at)
        case.refresh_from_db()
    for index in range(drafts):
        image = factories.LesionImageFactory(
            case=case, uploaded_by=owner,
            capture_type=CaptureType.DERMOSCOPIC if index else CaptureType.CLINICAL,
        )
        fields = draft or NEVUS
        factories.DraftFactory(image=image, status=draft_status, **(fields if draft_status == DraftStatus.READY else {
            name: "" for name in FINDING_FIELDS}))
    return case


# What the model card's fine-tune answers: its lesion type is a clinical classification, here a melanoma subtype.
CARD_MELANOMA = {**MELANOMA, "lesion_type": "Superficial spreading melanoma"}
RESOLVED = "adapter 3f2a9c0d on base Qwen/Qwen3-VL-2B-Instruct@9c1b7e44"


def engine_drafted_case(owner: Any, *, finding: dict[str, str], resolved_revision: str = RESOLVED,
                        **case_fields: Any) -> Case:
    """A case awaiting review whose one photo was drafted through the real services: queued for the configured
    model, claimed by a worker run and stored from the engine's `DraftResult` (as `drafts_generate_batch` does)."""
    case = factories.CaseFactory(organisation=owner.organisation, created_by=owner,
                                 status=CaseStatus.AWAITING_REVIEW, **case_fields)
    [draft] = drafts_create_for_images(images=[factories.LesionImageFactory(case=case, uploaded_by=owner)])
    draft_claim(draft_id=draft.pk, claim_token="engine-run", identity=model_identity())
    draft.refresh_from_db()
    result = DraftResult(
        key=str(draft.pk), finding=Finding(**finding), failure_kind=None, failure_message="",
        raw_text=str(finding), backend="transformers", model_id=draft.model_id, model_revision=draft.model_revision,
        prompt_version=draft.prompt_version, preprocess_ms=4.0, generate_ms=40.0, prompt_tokens=600,
        output_tokens=90, batch_size=1, resolved_revision=resolved_revision,
    )
    assert draft_store_result(draft=draft, result=result, claim_token="engine-run") == DraftStatus.READY
    case.refresh_from_db()
    return case


def first_draft(case: Case) -> Draft | None:
    return Draft.objects.filter(image__case=case, status=DraftStatus.READY).order_by("pk").first()


def claim(case: Case, reviewer: Any, *, seconds_ago: float = 45) -> Case:
    """Claim `case` for `reviewer` through the real service, as if they had started `seconds_ago`."""
    case_claim(case=case, user=reviewer)
    Case.objects.filter(pk=case.pk).update(claimed_at=timezone.now() - timedelta(seconds=seconds_ago))
    case.refresh_from_db()
    return case


def sign(
    case: Case,
    reviewer: Any,
    *,
    fields: dict[str, str] | None = None,
    confirmed: Any = FINDING_FIELDS,
    draft: Any = "first",
    claimed_seconds_ago: float = 45,
    expected_lock_version: int | None = None,
    attestation: bool = True,
    rejection_reason: str = "",
) -> Review:
    """Sign through the real service with sensible defaults (accept the first draft, every field confirmed).

    Claims the case for `reviewer` first (as "Start review" does), `claimed_seconds_ago`, unless someone holds it.
    """
    case.refresh_from_db()
    if case.active_claim_holder() is None and case.status in (CaseStatus.AWAITING_REVIEW,
                                                               CaseStatus.NEEDS_SECOND_REVIEW):
        claim(case, reviewer, seconds_ago=claimed_seconds_ago)
    chosen = first_draft(case) if draft == "first" else draft
    if fields is None:
        fields = chosen.finding_fields() if chosen is not None else dict(NEVUS)
    return review_sign(
        case=case, reviewer=reviewer, fields=fields, confirmed_fields=confirmed, draft=chosen,
        expected_lock_version=case.lock_version if expected_lock_version is None else expected_lock_version,
        attestation=attestation, rejection_reason=rejection_reason, plan=PlanInput(**factories.SIGN_PLAN),
    )


def disagreeing_case(owner: Any, first: Any, second: Any, **case_fields: Any) -> Case:
    """A high-risk case whose round 1 (`first`) signs the AI's melanoma and round 2 (`second`) a benign naevus: the
    two disagree on the lesion class, so the case needs adjudication."""
    case = ready_case(owner, draft=MELANOMA, **case_fields)
    sign(case, first, confirmed=FINDING_FIELDS)
    sign(case, second, fields=NEVUS, confirmed=FINDING_FIELDS)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEEDS_ADJUDICATION
    return case


def adjudicate(case: Case, reviewer: Any, fields: dict[str, str] = MELANOMA) -> Review:
    """`reviewer`, a third reviewer, settles the disagreement of `case` with `fields` through the real service."""
    case.refresh_from_db()
    return review_adjudicate(case=case, reviewer=reviewer, fields=dict(fields),
                             opened_at=timezone.now() - timedelta(seconds=40),
                             expected_lock_version=case.lock_version, attestation=True)
