"""Signing and amending a case's finding: the only way a case becomes `final`.

Rules (issue 4):
- Every field must be confirmed or edited: a field whose final text equals the AI draft's must be named in
  `confirmed_fields`, so an untouched, pre-filled form cannot be signed in one click.
- Dual review: when the chosen draft, any ready draft of the case, or the final finding names a high-risk class
  (`review_rules.high_risk_class_named`), round 1 moves the case to `needs_second_review`; a second, different
  reviewer's round 2 makes it `final`. Fields on which the two disagree are stored on the round-2 row.
- Blind-first cases: round 1 needs the reviewer's BlindFinding first.
- Optimistic locking: `expected_lock_version` must equal the case's; the write is a conditional UPDATE on it.
  A loser gets ReviewConflict carrying their input, and nothing is written.
- Amendment writes version N+1 (superseding N), voids N's sign-offs and re-enters `final` or
  `needs_second_review` by the same rules. Nothing is deleted.
- Agreement scoring is queued after commit (`agreement_score` task, queue `scoring`); it never blocks the
  response and its failure never undoes a sign-off.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from dermreview.accounts.roles import can_review
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models import FINDING_FIELDS, Draft, DraftStatus
from dermreview.review.errors import (
    ReviewConflict,
    ReviewInvalid,
    ReviewNotAllowed,
    ReviewRoleDenied,
)
from dermreview.review.models import Review, ReviewOutcome
from dermreview.review.services.blind import blind_finding_for
from dermreview.review.services.claim import assert_not_claimed_by_other
from dermreview.review.services.rules import (
    ATTESTATION_TEXT,
    any_high_risk,
    clean_finding_fields,
    clean_text,
    fields_differing,
)

STALE_MESSAGE = "Someone else saved this case while you were working on it. Reload it; your input is kept below."
MAX_REASON_LENGTH = 2000
# PositiveIntegerField's ceiling (~24 days): a page left open longer is recorded as that.
MAX_TIME_ON_TASK_MS = 2_147_483_647
# Clocks of the browser and server are not involved (opened_at comes from the server's signed form token),
# but a little slack keeps an API client's clock skew from failing a sign-off.
OPENED_AT_FUTURE_SLACK = timedelta(minutes=2)


def review_sign(
    *,
    case: Case,
    reviewer: Any,
    fields: dict[str, str],
    confirmed_fields: Collection[str],
    draft: Draft | None,
    opened_at: datetime,
    expected_lock_version: int,
    attestation: bool,
    rejection_reason: str = "",
) -> Review:
    """Sign `reviewer`'s six-field finding for `case`: round 1, or round 2 of a high-risk case.

    Outcomes: `draft` given and no `rejection_reason` → accepted (unchanged) or edited; `draft` given with a
    `rejection_reason` → the draft is rejected as unusable and the fields are the reviewer's own; `draft=None` →
    manual entry, allowed only while the case has no ready draft (drafting failed, needs manual entry, kill switch).

    `confirmed_fields` must include every field whose final text equals the draft's. `opened_at` is when the
    review page (or API read) was opened: time on task runs from it to now. `attestation` must be True.

    Returns the new Review. Raises ReviewRoleDenied (403), ReviewConflict (stale `expected_lock_version` or
    someone else's claim; `.submitted` holds this call's input), ReviewNotAllowed (case not awaiting a sign-off,
    same reviewer as round 1, blind entry missing) or ReviewInvalid (`.errors` by field). Nothing is written
    when it raises.
    """
    submitted = {
        "fields": dict(fields), "confirmed_fields": sorted(confirmed_fields),
        "draft_id": draft.pk if draft is not None else None, "rejection_reason": rejection_reason,
    }
    _require_reviewer(reviewer, case)
    now = timezone.now()
    try:
        with transaction.atomic():
            locked = _lock_case(case, expected_lock_version, submitted)
            assert_not_claimed_by_other(case=locked, user=reviewer, submitted=submitted)
            if locked.status == CaseStatus.AWAITING_REVIEW:
                version = (_latest_version(locked) or 0) + 1
                round_no, first = 1, None
                blind = blind_finding_for(case=locked, user=reviewer)
                if locked.blind_first and blind is None:
                    raise ReviewNotAllowed("Record your own finding first: this is a blind-first case.",
                                           code="blind_entry_required")
            elif locked.status == CaseStatus.NEEDS_SECOND_REVIEW:
                version = _latest_version(locked) or 1
                round_no, blind = 2, None
                first = Review.objects.filter(case=locked, version=version, round=1, voided_at__isnull=True).first()
                if first is not None and first.reviewer_id == reviewer.pk:
                    raise ReviewNotAllowed(
                        "You signed the first review of this case; a second, different reviewer must sign now.",
                        code="same_reviewer",
                    )
            else:
                raise ReviewNotAllowed(
                    f"This case is {locked.get_status_display().lower()}: there is no sign-off to give now.",
                    code="state",
                )

            errors: dict[str, str] = {}
            cleaned = _clean_fields_collecting(fields, errors)
            reason = clean_text(rejection_reason)
            _check_draft(locked, draft, reason, errors)
            if draft is not None and cleaned is not None:
                _check_confirmations(draft.finding_fields(), cleaned, confirmed_fields, errors)
            if not attestation:
                errors["attestation"] = "Tick the attestation to sign."
            time_on_task_ms = _time_on_task(opened_at, now, errors)
            if errors:
                raise ReviewInvalid(errors)
            assert cleaned is not None

            if draft is None:
                outcome, edited = ReviewOutcome.MANUAL, []
            else:
                edited = fields_differing(draft.finding_fields(), cleaned)
                outcome = ReviewOutcome.REJECTED_DRAFT if reason else (
                    ReviewOutcome.EDITED if edited else ReviewOutcome.ACCEPTED)
            high_risk_class = _high_risk_class(locked, draft_lesion_type=draft.lesion_type if draft else "",
                                               final_lesion_type=cleaned["lesion_type"])
            if round_no == 1:
                new_status = CaseStatus.NEEDS_SECOND_REVIEW if (high_risk_class or locked.high_risk) else CaseStatus.FINAL
            else:
                new_status = CaseStatus.FINAL
            locked.assert_transition(new_status)
            disagreement = fields_differing(first.finding_fields(), cleaned, normalised=True) if first else []

            review = Review.objects.create(
                case=locked, version=version, round=round_no, reviewer=reviewer, outcome=outcome,
                draft=draft, draft_snapshot=_snapshot(draft), blind_finding=blind,
                edited_fields=edited, all_unchanged=outcome == ReviewOutcome.ACCEPTED,
                rejection_reason=reason, disagreement_fields=disagreement, attestation=ATTESTATION_TEXT,
                opened_at=opened_at, signed_at=now, time_on_task_ms=time_on_task_ms, **cleaned,
            )
            _commit_case(locked, expected_lock_version, new_status, bool(high_risk_class) or locked.high_risk,
                         now, submitted)
            audit_log(
                action="review.reject_draft" if outcome == ReviewOutcome.REJECTED_DRAFT else "review.sign",
                actor=reviewer, obj=review,
                details={
                    "version": version, "round": round_no, "outcome": outcome, "draft_id": submitted["draft_id"],
                    "edited_fields": edited, "confirmed_fields": sorted(set(confirmed_fields) - set(edited)),
                    "status_from": locked.status, "status_to": new_status, "high_risk_class": high_risk_class,
                    "disagreement_fields": disagreement, "time_on_task_ms": time_on_task_ms,
                    "rejection_reason": reason,
                },
            )
            _queue_scoring(review)
    except IntegrityError:
        # A concurrent sign-off of the same round (or by the same reviewer) won the unique constraint.
        raise ReviewConflict(STALE_MESSAGE, submitted=submitted,
                             current_lock_version=_current_lock_version(case)) from None
    case.refresh_from_db()
    return review


def review_amend(
    *,
    review: Review,
    reviewer: Any,
    fields: dict[str, str],
    reason: str,
    opened_at: datetime,
    expected_lock_version: int,
    attestation: bool,
) -> Review:
    """Amend a final finding: write version N+1 superseding `review`, void version N's sign-offs.

    `review` must be a standing sign-off of the case's latest version, and the case must be `final`. Any
    reviewer of the organisation may amend; `reason` is required. The new version is round 1: the case becomes
    `final` again, or `needs_second_review` when the draft, the case or the amended finding is high-risk (and a
    second, different reviewer then signs round 2 through `review_sign`). The AI draft shown originally is carried
    over (`draft`, `draft_snapshot`) so edited fields and agreement stay measured against it.

    Returns the new Review. Raises the same errors as `review_sign`.
    """
    case = review.case
    submitted = {"fields": dict(fields), "reason": reason, "review_id": review.pk}
    _require_reviewer(reviewer, case)
    now = timezone.now()
    try:
        with transaction.atomic():
            locked = _lock_case(case, expected_lock_version, submitted)
            assert_not_claimed_by_other(case=locked, user=reviewer, submitted=submitted)
            current = Review.objects.select_related("draft").get(pk=review.pk)
            if locked.status != CaseStatus.FINAL:
                raise ReviewNotAllowed(
                    f"Only a final finding can be amended; this case is {locked.get_status_display().lower()}.",
                    code="state",
                )
            latest = _latest_version(locked)
            if current.is_void or current.version != latest:
                raise ReviewNotAllowed("This sign-off has been superseded; amend the current version.", code="state")

            errors: dict[str, str] = {}
            cleaned = _clean_fields_collecting(fields, errors)
            clean_reason = clean_text(reason)
            if not clean_reason:
                errors["reason"] = "Say why the finding is amended."
            elif len(clean_reason) > MAX_REASON_LENGTH:
                errors["reason"] = f"At most {MAX_REASON_LENGTH} characters."
            if not attestation:
                errors["attestation"] = "Tick the attestation to sign."
            time_on_task_ms = _time_on_task(opened_at, now, errors)
            if errors:
                raise ReviewInvalid(errors)
            assert cleaned is not None

            draft_fields = current.draft_snapshot.get("fields") if current.draft_snapshot else None
            edited = fields_differing(draft_fields, cleaned) if draft_fields else []
            if current.outcome in (ReviewOutcome.MANUAL, ReviewOutcome.REJECTED_DRAFT):
                outcome = current.outcome
            else:
                outcome = ReviewOutcome.EDITED if edited else ReviewOutcome.ACCEPTED
            high_risk_class = _high_risk_class(
                locked, draft_lesion_type=(draft_fields or {}).get("lesion_type", ""),
                final_lesion_type=cleaned["lesion_type"],
            )
            new_status = CaseStatus.NEEDS_SECOND_REVIEW if (high_risk_class or locked.high_risk) else CaseStatus.FINAL
            locked.assert_transition(new_status)

            voided = list(Review.objects.filter(case=locked, version=latest, voided_at__isnull=True)
                          .values_list("pk", flat=True))
            Review.objects.filter(pk__in=voided).update(voided_at=now, voided_by=reviewer)
            amended = Review.objects.create(
                case=locked, version=latest + 1, round=1, reviewer=reviewer, outcome=outcome,
                draft=current.draft, draft_snapshot=current.draft_snapshot, blind_finding=None,
                edited_fields=edited, all_unchanged=outcome == ReviewOutcome.ACCEPTED,
                rejection_reason=current.rejection_reason, attestation=ATTESTATION_TEXT,
                opened_at=opened_at, signed_at=now, time_on_task_ms=time_on_task_ms,
                supersedes=current, amendment_reason=clean_reason, **cleaned,
            )
            _commit_case(locked, expected_lock_version, new_status, bool(high_risk_class) or locked.high_risk,
                         now, submitted)
            audit_log(
                action="review.amend", actor=reviewer, obj=amended,
                details={
                    "version": amended.version, "supersedes": current.pk, "voided_review_ids": voided,
                    "changed_fields": fields_differing(current.finding_fields(), cleaned), "reason": clean_reason,
                    "status_from": locked.status, "status_to": new_status, "high_risk_class": high_risk_class,
                },
            )
            _queue_scoring(amended)
    except IntegrityError:
        raise ReviewConflict(STALE_MESSAGE, submitted=submitted,
                             current_lock_version=_current_lock_version(case)) from None
    case.refresh_from_db()
    return amended


def current_reviews(*, case: Case) -> list[Review]:
    """The standing sign-offs of the case's latest version (round 1, and round 2 when signed), in round order."""
    latest = _latest_version(case)
    if latest is None:
        return []
    return list(
        Review.objects.filter(case_id=case.pk, version=latest, voided_at__isnull=True)
        .select_related("reviewer").order_by("round")
    )


# --- helpers ------------------------------------------------------------------------------------------------


def _require_reviewer(reviewer: Any, case: Case) -> None:
    if not can_review(reviewer):
        raise ReviewRoleDenied("Only reviewers can sign findings.")
    if case.organisation_id != reviewer.organisation_id:
        raise ReviewRoleDenied("This case belongs to another organisation.")


def _lock_case(case: Case, expected_lock_version: int, submitted: dict[str, Any]) -> Case:
    # Row lock on PostgreSQL (SQLite serialises writers with IMMEDIATE transactions): a concurrent signer waits
    # here and then sees the bumped lock_version, instead of both passing the check.
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.lock_version != expected_lock_version:
        raise ReviewConflict(STALE_MESSAGE, submitted=submitted, current_lock_version=locked.lock_version)
    return locked


def _commit_case(
    locked: Case, expected_lock_version: int, new_status: str, high_risk: bool, now: datetime,
    submitted: dict[str, Any],
) -> None:
    updated = Case.objects.filter(pk=locked.pk, lock_version=expected_lock_version).update(
        lock_version=F("lock_version") + 1, status=new_status, high_risk=high_risk,
        claimed_by=None, claim_expires_at=None, updated_at=now,
    )
    if updated != 1:
        raise ReviewConflict(STALE_MESSAGE, submitted=submitted, current_lock_version=_current_lock_version(locked))


def _current_lock_version(case: Case) -> int | None:
    return Case.objects.filter(pk=case.pk).values_list("lock_version", flat=True).first()


def _latest_version(case: Case) -> int | None:
    return Review.objects.filter(case_id=case.pk).aggregate(v=Max("version"))["v"]


def _clean_fields_collecting(fields: dict[str, str], errors: dict[str, str]) -> dict[str, str] | None:
    try:
        return clean_finding_fields(fields)
    except ReviewInvalid as exc:
        errors.update(exc.errors)
        return None


def _check_draft(case: Case, draft: Draft | None, reason: str, errors: dict[str, str]) -> None:
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


def _check_confirmations(
    draft_fields: dict[str, str], cleaned: dict[str, str], confirmed: Collection[str], errors: dict[str, str]
) -> None:
    unknown = sorted(set(confirmed) - set(FINDING_FIELDS))
    if unknown:
        errors["confirmed_fields"] = f"Unknown fields: {', '.join(unknown)}."
    for name in FINDING_FIELDS:
        if clean_text(cleaned[name]) == clean_text(draft_fields.get(name, "")) and name not in confirmed:
            errors.setdefault(name, "Still the AI draft's text: confirm it or change it.")


def _time_on_task(opened_at: datetime, now: datetime, errors: dict[str, str]) -> int:
    if opened_at is None or timezone.is_naive(opened_at):
        errors["opened_at"] = "When the review was opened is required (a timezone-aware time)."
        return 0
    if opened_at > now + OPENED_AT_FUTURE_SLACK:
        errors["opened_at"] = "The review cannot have been opened in the future."
        return 0
    return min(MAX_TIME_ON_TASK_MS, max(0, int((now - opened_at).total_seconds() * 1000)))


def _high_risk_class(case: Case, *, draft_lesion_type: str, final_lesion_type: str) -> str | None:
    """The high-risk class named by the final finding, the chosen draft or any ready draft of the case."""
    ready = Draft.objects.filter(image__case_id=case.pk, status=DraftStatus.READY).values_list("lesion_type", flat=True)
    return any_high_risk([final_lesion_type, draft_lesion_type, *ready])


def _snapshot(draft: Draft | None) -> dict[str, Any]:
    if draft is None:
        return {}
    return {
        "draft_id": draft.pk, "image_id": draft.image_id, "fields": draft.finding_fields(),
        "model_id": draft.model_id, "model_revision": draft.model_revision, "prompt_version": draft.prompt_version,
    }


def _queue_scoring(review: Review) -> None:
    # Imported here: tasks import services, not the other way round at module load.
    from dermreview.review.tasks import agreement_score

    agreement_score.delay_on_commit(review.pk)
