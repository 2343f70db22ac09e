"""Checks of a submitted finding shared by sign-off and amendment, and what both write beside the Review."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from dermreview.accounts.roles import can_review
from dermreview.cases.models import Case, DiagnosisClass
from dermreview.common.text import TextRefused, normalise_text
from dermreview.drafting.models import FINDING_FIELDS, Draft, DraftStatus
from dermreview.review.errors import ReviewInvalid, ReviewRoleDenied
from dermreview.review.models import Review
from dermreview.review.services.rules import (
    clean_finding_fields,
    clean_text,
    finding_lesion_class,
    high_risk_class_named,
)

MAX_REASON_LENGTH = 2000
# PositiveIntegerField's ceiling (~24 days). A sign-off's time runs from the signer's claim, which expires long
# before that; only an amendment's start (not a claim) could be older.
MAX_TIME_ON_TASK_MS = 2_147_483_647
# A sign-off's start is the server's own `Case.claimed_at`; an amendment's is the server's signed form token or an
# API caller's `opened_at`, whose clock skew this little slack tolerates.
OPENED_AT_FUTURE_SLACK = timedelta(minutes=2)


def require_reviewer(reviewer: Any, case: Case) -> None:
    if not can_review(reviewer):
        raise ReviewRoleDenied("Only reviewers can sign findings.")
    if case.organisation_id != reviewer.organisation_id:
        raise ReviewRoleDenied("This case belongs to another organisation.")


def clean_fields_collecting(
    fields: dict[str, str], errors: dict[str, str], *, organisation_id: int | None = None
) -> dict[str, Any] | None:
    """The cleaned six fields plus `lesion_class`, the diagnosis class the lesion type names (from the shared
    vocabulary and, given `organisation_id`, the clinic's own classes); errors by field are added to `errors`.
    A lesion type that names no class is an error on `lesion_type`, the other fields still come back."""
    try:
        cleaned: dict[str, Any] = clean_finding_fields(fields)
    except ReviewInvalid as exc:
        errors.update(exc.errors)
        return None
    try:
        cleaned["lesion_class"] = finding_lesion_class(cleaned["lesion_type"], organisation_id=organisation_id)
    except ReviewInvalid as exc:
        errors.update(exc.errors)
        cleaned["lesion_class"] = None
    return cleaned


def check_draft(case: Case, draft: Draft | None, reason: str, errors: dict[str, str]) -> None:
    if draft is None:
        if reason:
            errors["rejection_reason"] = "There is no AI draft to reject: sign the finding as manual entry."
        elif Draft.objects.filter(image__case_id=case.pk, status=DraftStatus.READY).exists():
            errors["draft"] = ("An AI draft is ready for this case: start from it, or reject it with a reason "
                               "and enter the finding by hand.")
        return
    if draft.image.case_id != case.pk:
        errors["draft"] = "That draft belongs to another case."
    elif draft.status != DraftStatus.READY:
        errors["draft"] = f"That draft is {draft.get_status_display().lower()}, not a usable draft."
    if len(reason) > MAX_REASON_LENGTH:
        errors["rejection_reason"] = f"At most {MAX_REASON_LENGTH} characters."
    try:
        normalise_text(reason, field="rejection_reason", multiline=True)
    except TextRefused as exc:
        errors["rejection_reason"] = exc.message


def check_confirmations(
    draft_fields: dict[str, str], cleaned: dict[str, str], confirmed: Collection[str], errors: dict[str, str]
) -> None:
    unknown = sorted(set(confirmed) - set(FINDING_FIELDS))
    if unknown:
        errors["confirmed_fields"] = f"Unknown fields: {', '.join(unknown)}."
    for name in FINDING_FIELDS:
        if clean_text(cleaned[name]) == clean_text(draft_fields.get(name, "")) and name not in confirmed:
            errors.setdefault(name, "Still the AI draft's text: confirm it or change it.")


def time_on_task(opened_at: datetime, now: datetime, errors: dict[str, str]) -> int:
    """Milliseconds from `opened_at` (a sign-off: the signer's claim; an amendment: its start) to `now`."""
    if opened_at is None or timezone.is_naive(opened_at):
        errors["opened_at"] = "When the review was opened is required (a timezone-aware time)."
        return 0
    if opened_at > now + OPENED_AT_FUTURE_SLACK:
        errors["opened_at"] = "The review cannot have been opened in the future."
        return 0
    return min(MAX_TIME_ON_TASK_MS, max(0, int((now - opened_at).total_seconds() * 1000)))


def high_risk_class(case: Case, *, draft_lesion_type: str, final_lesion_type: str) -> str | None:
    """The high-risk class named by the final finding, the chosen draft or any ready draft of the case.

    AI text that names a high-risk class counts even when the reviewer disagrees; AI text that names no class does
    not count here: it was high-risk only until a human picked a class, which the final finding now holds.
    """
    vocabulary = DiagnosisClass.objects.vocabulary(case.organisation_id)
    ready = Draft.objects.filter(image__case_id=case.pk, status=DraftStatus.READY).values_list("lesion_type", flat=True)
    for text in (final_lesion_type, draft_lesion_type, *ready):
        named = high_risk_class_named(text, vocabulary=vocabulary)
        if named:
            return named
    return None


def snapshot(draft: Draft | None) -> dict[str, Any]:
    """The AI draft as the reviewer was shown it, kept on the sign-off (exports read it, not the draft row)."""
    if draft is None:
        return {}
    return {
        "draft_id": draft.pk, "image_id": draft.image_id, "fields": draft.finding_fields(),
        "model_id": draft.model_id, "model_revision": draft.model_revision, "prompt_version": draft.prompt_version,
        "resolved_revision": draft.resolved_revision,
    }


def queue_scoring(review: Review) -> None:
    # Imported here: tasks import services, not the other way round at module load.
    from dermreview.review.tasks import agreement_score

    agreement_score.delay_on_commit(review.pk)


def signing_checks(*, attestation: bool, started_at: datetime, now: datetime, errors: dict[str, str]) -> int:
    """The attestation and time on task of any signature; raises ReviewInvalid with every error collected so far."""
    if not attestation:
        errors["attestation"] = "Tick the attestation to sign."
    ms = time_on_task(started_at, now, errors)
    if errors:
        raise ReviewInvalid(errors)
    return ms
