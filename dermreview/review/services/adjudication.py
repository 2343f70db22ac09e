"""Adjudicating a dual-review disagreement: a third, different reviewer signs the finding that stands.

When round 2 disagrees with round 1 on the lesion class (or on another field the installation lists in
`DERMREVIEW_ADJUDICATION_FIELDS`; `lesion_type` there means the diagnosis class), the case goes to
`needs_adjudication` instead of `final` (`signoff._write_signoff`). A reviewer who signed neither round reads
both findings and signs round 3 of the same version; that sign-off makes the case final with resolution
`adjudicated_by_third_reviewer`. Nothing is overwritten: rounds 1 and 2 stay as they were signed. The other way
out, the two reviewers agreeing on one of their findings, is in `adjudication_agreement.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Case, CaseStatus
from dermreview.review.errors import ReviewNotAllowed
from dermreview.review.models import Review, ReviewOutcome
from dermreview.review.models.review import ReviewResolution, case_context
from dermreview.review.services.case_lock import (
    case_locked,
    commit_case,
    latest_version,
)
from dermreview.review.services.claim import assert_not_claimed_by_other
from dermreview.review.services.finding_checks import (
    clean_fields_collecting,
    queue_scoring,
    require_reviewer,
    signing_checks,
)
from dermreview.review.services.plan import PLAN_FIELDS
from dermreview.review.services.rules import ATTESTATION_TEXT, fields_differing

ADJUDICATION_ROUND = 3


def adjudication_fields() -> tuple[str, ...]:
    """The finding fields on which a dual-review disagreement needs adjudication (`lesion_type`: the class)."""
    return tuple(settings.DERMREVIEW_ADJUDICATION_FIELDS)


def adjudication_needed(*, first: Review, cleaned: Mapping[str, Any]) -> bool:
    """True when round 2's `cleaned` finding disagrees with round 1's on a field that needs adjudication.

    `lesion_type` compares the diagnosis classes the two texts name (a qualifier such as "junctional" is no
    disagreement); when either has no class, their normalised text. Other fields compare normalised text.
    """
    fields = adjudication_fields()
    if "lesion_type" in fields:
        second_class = cleaned.get("lesion_class")
        if first.lesion_class_id is not None and second_class is not None:
            if first.lesion_class_id != second_class.pk:
                return True
        elif fields_differing({"lesion_type": first.lesion_type}, {"lesion_type": cleaned["lesion_type"]},
                              normalised=True):
            return True
    others = [name for name in fields if name != "lesion_type"]
    differing = fields_differing(first.finding_fields(), cleaned, normalised=True)
    return any(name in differing for name in others)


@dataclass(frozen=True, slots=True)
class Disagreement:
    """The two standing sign-offs of a case awaiting adjudication, and the fields they disagree on."""

    case_id: int
    version: int
    first: Review
    second: Review
    disagreement_fields: tuple[str, ...]


def adjudication_disagreement(*, case: Case) -> Disagreement | None:
    """The disagreement to adjudicate, or None when the case is not awaiting adjudication."""
    if case.status != CaseStatus.NEEDS_ADJUDICATION:
        return None
    version = latest_version(case)
    rows = {r.round: r for r in Review.objects.filter(case_id=case.pk, version=version, voided_at__isnull=True)
            .select_related("reviewer", "lesion_class")}
    if 1 not in rows or 2 not in rows:
        return None
    return Disagreement(case_id=case.pk, version=rows[1].version, first=rows[1], second=rows[2],
                        disagreement_fields=tuple(rows[2].disagreement_fields))


def review_adjudicate(
    *,
    case: Case,
    reviewer: Any,
    fields: dict[str, str],
    opened_at: datetime,
    expected_lock_version: int,
    attestation: bool,
) -> Review:
    """Sign the adjudicating finding (round 3) of a case in `needs_adjudication`; the case becomes final.

    `reviewer` must have signed neither round 1 nor round 2 of the version. `opened_at` is when the adjudication
    page's form was opened (its server-signed token). Returns the new Review (resolution
    `adjudicated_by_third_reviewer`). Raises ReviewRoleDenied, ReviewNotAllowed (wrong state, or code
    "same_reviewer"), ReviewConflict (stale lock version) or ReviewInvalid. Nothing is written when it raises.
    """
    submitted = {"fields": dict(fields)}
    require_reviewer(reviewer, case)
    now = timezone.now()
    with case_locked(case, expected_lock_version, submitted) as locked:
        assert_not_claimed_by_other(case=locked, user=reviewer, submitted=submitted)
        pending = _pending_for(locked, reviewer)
        errors: dict[str, str] = {}
        cleaned = clean_fields_collecting(fields, errors, organisation_id=locked.organisation_id)
        ms = signing_checks(attestation=attestation, started_at=opened_at, now=now, errors=errors)
        assert cleaned is not None
        review = write_round_three(locked, pending, reviewer=reviewer, cleaned=cleaned, opened_at=opened_at,
                                   now=now, time_on_task_ms=ms, expected_lock_version=expected_lock_version,
                                   submitted=submitted, resolution=ReviewResolution.ADJUDICATED)
    return review


def standing_disagreement(*, case: Case, action: str = "adjudicate") -> Disagreement:
    """The disagreement of the (locked) case; ReviewNotAllowed (code "state") when there is none to `action`."""
    pending = adjudication_disagreement(case=case)
    if pending is None:
        raise ReviewNotAllowed(
            f"This case is {case.get_status_display().lower()}: there is no disagreement to {action}.", code="state"
        )
    return pending


def _pending_for(locked: Case, reviewer: Any) -> Disagreement:
    pending = standing_disagreement(case=locked)
    if reviewer.pk in (pending.first.reviewer_id, pending.second.reviewer_id):
        raise ReviewNotAllowed(
            "You signed one of the two disagreeing findings; a third, different reviewer must adjudicate.",
            code="same_reviewer",
        )
    return pending


def write_round_three(
    locked: Case, pending: Disagreement, *, reviewer: Any, cleaned: dict[str, Any], opened_at: datetime,
    now: datetime, time_on_task_ms: int, expected_lock_version: int, submitted: dict[str, Any], resolution: str,
) -> Review:
    """Write the round-3 sign-off that settles `pending` with `resolution` (a third reviewer's adjudication, or the
    two reviewers' agreement), make the case final and record `review.adjudicate` (`via` tells which)."""
    first = pending.first
    # The draft stays attached so agreement is still measured against it, and `edited_fields` says where the
    # settled finding differs from it; but the adjudication page never shows the draft, so the sign-off is
    # recorded as resolving the disagreement, never as the draft accepted (`all_unchanged` is False).
    draft_fields = (first.draft_snapshot or {}).get("fields")
    edited = fields_differing(draft_fields, cleaned) if draft_fields else []
    locked.assert_transition(CaseStatus.FINAL)
    review = Review.objects.create(
        case=locked, version=pending.version, round=ADJUDICATION_ROUND, reviewer=reviewer,
        outcome=ReviewOutcome.RESOLVING, draft=first.draft, draft_snapshot=first.draft_snapshot, edited_fields=edited,
        all_unchanged=False, rejection_reason=first.rejection_reason,
        disagreement_fields=list(pending.disagreement_fields), attestation=ATTESTATION_TEXT,
        opened_at=opened_at, signed_at=now, time_on_task_ms=time_on_task_ms,
        resolution=resolution, signed_context=case_context(locked), **carried_plan(pending), **cleaned,
    )
    commit_case(locked, expected_lock_version, CaseStatus.FINAL, locked.high_risk, now, submitted)
    audit_log(
        action="review.adjudicate", actor=reviewer, obj=review,
        details={
            "version": pending.version, "round": ADJUDICATION_ROUND, "status_from": locked.status,
            "status_to": CaseStatus.FINAL, "resolution": resolution,
            "via": "agreement" if resolution == ReviewResolution.AGREED else "third_reviewer",
            "first_review_id": first.pk, "second_review_id": pending.second.pk,
            "disagreement_fields": list(pending.disagreement_fields),
            "sides_with": _sides_with(pending, cleaned), "time_on_task_ms": time_on_task_ms,
        },
    )
    queue_scoring(review)
    return review


def carried_plan(pending: Disagreement) -> dict[str, Any]:
    """The management plan and change since the previous visit that the resolving sign-off records: the second
    review's (required there, see `signoff.PLAN_REQUIRED_AFTER`), else the first's. A disagreement is about the
    finding; the plan the reviewers recorded stands until an amendment changes it."""
    source = pending.second if pending.second.management_plan else pending.first
    return {name: getattr(source, name) for name in PLAN_FIELDS}


def _sides_with(pending: Disagreement, cleaned: Mapping[str, Any]) -> list[int]:
    """The rounds whose class the adjudicating finding shares (for the audit trail)."""
    chosen = cleaned.get("lesion_class")
    return [r.round for r in (pending.first, pending.second)
            if chosen is not None and r.lesion_class_id == chosen.pk]
