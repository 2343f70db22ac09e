"""Signing and amending a case's finding: the only way a case becomes `final`.

Rules:
- Every field must be confirmed or edited: a field whose final text equals the AI draft's must be named in
  `confirmed_fields`, so an untouched, pre-filled form cannot be signed in one click.
- Dual review: when the chosen draft, any ready draft of the case, or the final finding names a high-risk class
  (`rules.is_high_risk`, through the diagnosis-class vocabulary), round 1 moves the case to `needs_second_review`; a second, different
  reviewer's round 2 makes it `final` (resolution `concordant`). Fields on which the two disagree are stored on the
  round-2 row; a disagreement on the lesion class (or a field in `DERMREVIEW_ADJUDICATION_FIELDS`) sends the case to
  `needs_adjudication` instead (`services/adjudication.py`).
- Blind-first cases: round 1 needs the reviewer's BlindFinding first.
- Claim first: a sign-off needs the signer's own current claim (`claim.assert_claim_held`), and time on task runs
  from when that claim was taken (`Case.claimed_at`) to the server's now. Nothing the client sends is a time.
- Optimistic locking: `expected_lock_version` must equal the case's; the write is a conditional UPDATE on it.
  A loser gets ReviewConflict carrying their input, and nothing is written.
- Amendment writes version N+1 (superseding N), voids N's sign-offs and re-enters `final` or
  `needs_second_review` by the same rules. Nothing is deleted.
- Management plan and change since the previous visit (`services/plan.py`): required at the sign-off that makes
  the case final, optional (stored when given) at one that leaves it for a second review or adjudication; an
  amendment carries them over from the sign-off it supersedes.
- Agreement scoring is queued after commit (`agreement_score` task, queue `scoring`); it never blocks the
  response and its failure never undoes a sign-off.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models import Draft
from dermreview.review.errors import ReviewNotAllowed
from dermreview.review.models import BlindFinding, NotificationKind, Review, ReviewOutcome
from dermreview.review.models.review import ReviewResolution, case_context
from dermreview.review.services.adjudication import adjudication_needed
from dermreview.review.services.blind import blind_finding_for
from dermreview.review.services.case_lock import (
    case_locked,
    commit_case,
    latest_version,
)
from dermreview.review.services.claim import assert_claim_held
from dermreview.review.services.finding_checks import (
    MAX_REASON_LENGTH,
    check_confirmations,
    check_draft,
    clean_fields_collecting,
    high_risk_class,
    queue_scoring,
    require_reviewer,
    signing_checks,
    snapshot,
)
from dermreview.review.services.notifications import notification_create
from dermreview.review.services.plan import (
    PlanInput,
    carried_plan,
    plan_audit,
    plan_check,
)
from dermreview.review.services.rules import ATTESTATION_TEXT, clean_text, fields_differing


@dataclass(frozen=True, slots=True)
class _Slot:
    """Which sign-off a reviewer is about to give: version, round, the round-1 sign-off it follows, own blind entry."""

    version: int
    round: int
    first: Review | None
    blind: BlindFinding | None


@dataclass(frozen=True, slots=True)
class _Next:
    """What a sign-off would leave the case in: its status, the high-risk class named, the resolution."""

    status: str
    risk_class: str | None
    resolution: str


def review_sign(
    *,
    case: Case,
    reviewer: Any,
    fields: dict[str, str],
    confirmed_fields: Collection[str],
    draft: Draft | None,
    expected_lock_version: int,
    attestation: bool,
    rejection_reason: str = "",
    taken_from_ai: Collection[str] = (),
    plan: PlanInput | None = None,
) -> Review:
    """Sign `reviewer`'s six-field finding for `case`: round 1, or round 2 of a high-risk case.

    Outcomes: `draft` given and no `rejection_reason` → accepted (unchanged) or edited; `draft` given with a
    `rejection_reason` → the draft is rejected as unusable and the fields are the reviewer's own; `draft=None` →
    manual entry, allowed only while the case has no ready draft (drafting failed, needs manual entry, kill switch).

    `confirmed_fields` must include every field whose final text equals the draft's. `attestation` must be True.
    `taken_from_ai` (blind-first): the fields the reviewer switched from their blind finding to the draft's value;
    stored (and audited) only where the final text is the draft's, as the influence measure counts them.
    `plan`: the management plan and the change since the previous visit (rules in `services/plan.py`).
    The reviewer must hold the case's claim: time on task runs from when they took it (stored as the Review's
    `opened_at`) to now, both on the server's clock.

    Returns the new Review. Raises ReviewRoleDenied (403), ReviewConflict (stale `expected_lock_version` or
    someone else's claim; `.submitted` holds this call's input), ReviewNotAllowed (case not awaiting a sign-off,
    same reviewer as round 1, blind entry missing, or code "claim_required": the signer holds no current claim) or
    ReviewInvalid (`.errors` by field). Nothing is written when it raises.
    """
    submitted = {
        "fields": dict(fields), "confirmed_fields": sorted(confirmed_fields),
        "draft_id": draft.pk if draft is not None else None, "rejection_reason": rejection_reason,
        "taken_from_ai": sorted(taken_from_ai), "plan": plan_audit((plan or PlanInput()).as_dict()),
    }
    require_reviewer(reviewer, case)
    now = timezone.now()
    with case_locked(case, expected_lock_version, submitted) as locked:
        # Why this reviewer may not sign at all comes before "claim it first".
        slot = _slot_for(locked, reviewer)
        claimed_at = assert_claim_held(case=locked, user=reviewer, now=now, submitted=submitted)
        errors: dict[str, str] = {}
        cleaned = clean_fields_collecting(fields, errors, organisation_id=locked.organisation_id)
        reason = clean_text(rejection_reason)
        check_draft(locked, draft, reason, errors)
        if draft is not None and cleaned is not None:
            check_confirmations(draft.finding_fields(), cleaned, confirmed_fields, errors)
        # Where the sign-off would leave the case decides whether the plan is required (None: fields unclean).
        after = _next_status(locked, slot, draft, cleaned) if cleaned is not None else None
        # A disagreement's resolving sign-off (round 3) carries the plan of round 2, which is therefore required too.
        plan_values = plan_check(case=locked, plan=plan or PlanInput(), today=timezone.localdate(now), errors=errors,
                                 final=None if after is None else after.status in PLAN_REQUIRED_AFTER)
        ms = signing_checks(attestation=attestation, started_at=claimed_at, now=now, errors=errors)
        assert cleaned is not None and after is not None
        review = _write_signoff(locked, slot, after, reviewer=reviewer, draft=draft, cleaned=cleaned, reason=reason,
                                plan_values=plan_values, opened_at=claimed_at, now=now, time_on_task_ms=ms,
                                expected_lock_version=expected_lock_version, submitted=submitted)
    return review


# Where a sign-off leaves a case when it must carry the management plan: final, or a disagreement whose resolving
# sign-off takes its plan from this one (`adjudication.write_round_three`).
PLAN_REQUIRED_AFTER = frozenset({CaseStatus.FINAL, CaseStatus.NEEDS_ADJUDICATION})


def _slot_for(locked: Case, reviewer: Any) -> _Slot:
    """The sign-off this reviewer may give now, or ReviewNotAllowed saying why there is none."""
    if locked.status == CaseStatus.AWAITING_REVIEW:
        blind = blind_finding_for(case=locked, user=reviewer)
        if locked.blind_first and blind is None:
            raise ReviewNotAllowed("Record your own finding first: this is a blind-first case.",
                                   code="blind_entry_required")
        return _Slot(version=(latest_version(locked) or 0) + 1, round=1, first=None, blind=blind)
    if locked.status == CaseStatus.NEEDS_SECOND_REVIEW:
        version = latest_version(locked) or 1
        first = Review.objects.filter(case=locked, version=version, round=1, voided_at__isnull=True).first()
        if first is not None and first.reviewer_id == reviewer.pk:
            raise ReviewNotAllowed(
                "You signed the first review of this case; a second, different reviewer must sign now.",
                code="same_reviewer",
            )
        return _Slot(version=version, round=2, first=first, blind=None)
    raise ReviewNotAllowed(
        f"This case is {locked.get_status_display().lower()}: there is no sign-off to give now.", code="state",
    )


def _next_status(locked: Case, slot: _Slot, draft: Draft | None, cleaned: dict[str, Any]) -> _Next:
    risk_class = high_risk_class(locked, draft_lesion_type=draft.lesion_type if draft else "",
                                 final_lesion_type=cleaned["lesion_type"])
    needs_second = slot.round == 1 and bool(risk_class or locked.high_risk)
    new_status = CaseStatus.NEEDS_SECOND_REVIEW if needs_second else CaseStatus.FINAL
    resolution = ""
    if slot.round == 2 and slot.first is not None:
        # A disagreement on the class (or a configured field) is adjudicated, never overwritten by round 2.
        if adjudication_needed(first=slot.first, cleaned=cleaned):
            new_status = CaseStatus.NEEDS_ADJUDICATION
        else:
            resolution = ReviewResolution.CONCORDANT
    return _Next(status=new_status, risk_class=risk_class, resolution=resolution)


def _write_signoff(
    locked: Case, slot: _Slot, after: _Next, *, reviewer: Any, draft: Draft | None, cleaned: dict[str, str],
    reason: str, plan_values: dict[str, Any], opened_at: datetime, now: datetime, time_on_task_ms: int,
    expected_lock_version: int, submitted: dict[str, Any],
) -> Review:
    if draft is None:
        outcome, edited = ReviewOutcome.MANUAL, []
    else:
        edited = fields_differing(draft.finding_fields(), cleaned)
        outcome = ReviewOutcome.REJECTED_DRAFT if reason else (
            ReviewOutcome.EDITED if edited else ReviewOutcome.ACCEPTED)
    risk_class, new_status, resolution = after.risk_class, after.status, after.resolution
    disagreement = fields_differing(slot.first.finding_fields(), cleaned, normalised=True) if slot.first else []
    locked.assert_transition(new_status)
    taken = _taken_from_ai(submitted["taken_from_ai"], slot, draft, cleaned)
    review = Review.objects.create(
        case=locked, version=slot.version, round=slot.round, reviewer=reviewer, outcome=outcome,
        draft=draft, draft_snapshot=snapshot(draft), blind_finding=slot.blind, taken_from_ai=taken,
        edited_fields=edited, all_unchanged=outcome == ReviewOutcome.ACCEPTED,
        rejection_reason=reason, disagreement_fields=disagreement, attestation=ATTESTATION_TEXT,
        opened_at=opened_at, signed_at=now, time_on_task_ms=time_on_task_ms, resolution=resolution,
        signed_context=case_context(locked), **cleaned, **plan_values,
    )
    commit_case(locked, expected_lock_version, new_status, bool(risk_class) or locked.high_risk, now, submitted)
    audit_log(
        action="review.reject_draft" if outcome == ReviewOutcome.REJECTED_DRAFT else "review.sign",
        actor=reviewer, obj=review,
        details={
            "version": slot.version, "round": slot.round, "outcome": outcome, "draft_id": submitted["draft_id"],
            "edited_fields": edited, "confirmed_fields": sorted(set(submitted["confirmed_fields"]) - set(edited)),
            "status_from": locked.status, "status_to": new_status, "high_risk_class": risk_class,
            "disagreement_fields": disagreement, "time_on_task_ms": time_on_task_ms,
            "rejection_reason": reason, "resolution": resolution, "taken_from_ai": taken,
            "plan": plan_audit(plan_values),
        },
    )
    if new_status == CaseStatus.FINAL:
        notification_create(case=locked, kind=NotificationKind.SIGNED)
    queue_scoring(review)
    return review


def _taken_from_ai(names: list[str], slot: _Slot, draft: Draft | None, cleaned: dict[str, str]) -> list[str]:
    """The submitted "Use the AI's value" fields that hold: a blind-first sign-off, and the draft's text kept."""
    if draft is None or slot.blind is None:
        return []
    draft_fields = draft.finding_fields()
    differing = set(fields_differing(draft_fields, cleaned, normalised=True))
    return [name for name in draft_fields if name in names and name not in differing]


def review_amend(
    *,
    review: Review,
    reviewer: Any,
    fields: dict[str, str],
    reason: str,
    expected_lock_version: int,
    attestation: bool,
    opened_at: datetime | None = None,
) -> Review:
    """Amend a final finding: write version N+1 superseding `review`, void version N's sign-offs.

    `review` must be a standing sign-off of the case's latest version, and the case must be `final`. Any
    reviewer of the organisation may amend; `reason` is required. The new version is round 1: the case becomes
    `final` again, or `needs_second_review` when the draft, the case or the amended finding is high-risk (and a
    second, different reviewer then signs round 2 through `review_sign`). The AI draft shown originally is carried
    over (`draft`, `draft_snapshot`) so edited fields and agreement stay measured against it.

    Claim first, as for a sign-off: the amending reviewer must hold the final case's claim ("Start amendment",
    API `POST cases/{id}/claim/`), and time on task runs from that claim to the server's now. `opened_at` is
    accepted for older API clients and ignored: nothing the client sends is a time.

    Returns the new Review. Raises the same errors as `review_sign`.
    """
    case = review.case
    submitted = {"fields": dict(fields), "reason": reason, "review_id": review.pk}
    require_reviewer(reviewer, case)
    now = timezone.now()
    with case_locked(case, expected_lock_version, submitted) as locked:
        current = _amendable(locked, review)
        claimed_at = assert_claim_held(case=locked, user=reviewer, now=now, submitted=submitted)
        errors: dict[str, str] = {}
        cleaned = clean_fields_collecting(fields, errors, organisation_id=locked.organisation_id)
        clean_reason = clean_text(reason)
        if not clean_reason:
            errors["reason"] = "Say why the finding is amended."
        elif len(clean_reason) > MAX_REASON_LENGTH:
            errors["reason"] = f"At most {MAX_REASON_LENGTH} characters."
        ms = signing_checks(attestation=attestation, started_at=claimed_at, now=now, errors=errors)
        assert cleaned is not None
        amended = _write_amendment(locked, current, reviewer=reviewer, cleaned=cleaned, reason=clean_reason,
                                   opened_at=claimed_at, now=now, time_on_task_ms=ms,
                                   expected_lock_version=expected_lock_version, submitted=submitted)
    return amended


def _amendable(locked: Case, review: Review) -> Review:
    """`review` reloaded, if it is a standing sign-off of a final case's latest version."""
    current = Review.objects.select_related("draft").get(pk=review.pk)
    if locked.status != CaseStatus.FINAL:
        raise ReviewNotAllowed(
            f"Only a final finding can be amended; this case is {locked.get_status_display().lower()}.",
            code="state",
        )
    if current.is_void or current.version != latest_version(locked):
        raise ReviewNotAllowed("This sign-off has been superseded; amend the current version.", code="state")
    return current


def _write_amendment(
    locked: Case, current: Review, *, reviewer: Any, cleaned: dict[str, str], reason: str, opened_at: datetime,
    now: datetime, time_on_task_ms: int, expected_lock_version: int, submitted: dict[str, Any],
) -> Review:
    draft_fields = current.draft_snapshot.get("fields") if current.draft_snapshot else None
    edited = fields_differing(draft_fields, cleaned) if draft_fields else []
    if current.outcome in (ReviewOutcome.MANUAL, ReviewOutcome.REJECTED_DRAFT):
        outcome = current.outcome
    else:
        outcome = ReviewOutcome.EDITED if edited else ReviewOutcome.ACCEPTED
    risk_class = high_risk_class(locked, draft_lesion_type=(draft_fields or {}).get("lesion_type", ""),
                                 final_lesion_type=cleaned["lesion_type"])
    new_status = CaseStatus.NEEDS_SECOND_REVIEW if (risk_class or locked.high_risk) else CaseStatus.FINAL
    locked.assert_transition(new_status)
    changed = fields_differing(current.finding_fields(), cleaned)
    voided = list(Review.objects.filter(case=locked, version=current.version, voided_at__isnull=True)
                  .values_list("pk", flat=True))
    Review.objects.filter(pk__in=voided).update(voided_at=now, voided_by=reviewer)
    amended = Review.objects.create(
        case=locked, version=current.version + 1, round=1, reviewer=reviewer, outcome=outcome,
        draft=current.draft, draft_snapshot=current.draft_snapshot, blind_finding=None,
        edited_fields=edited, all_unchanged=outcome == ReviewOutcome.ACCEPTED,
        rejection_reason=current.rejection_reason, attestation=ATTESTATION_TEXT,
        opened_at=opened_at, signed_at=now, time_on_task_ms=time_on_task_ms,
        supersedes=current, amendment_reason=reason, signed_context=case_context(locked), **cleaned,
        **carried_plan(current),
    )
    commit_case(locked, expected_lock_version, new_status, bool(risk_class) or locked.high_risk, now, submitted)
    audit_log(
        action="review.amend", actor=reviewer, obj=amended,
        details={
            "version": amended.version, "supersedes": current.pk, "voided_review_ids": voided,
            "changed_fields": changed, "reason": reason,
            "changes": {name: [getattr(current, name), cleaned[name]] for name in changed},
            "status_from": locked.status, "status_to": new_status, "high_risk_class": risk_class,
        },
    )
    notification_create(case=locked, kind=NotificationKind.AMENDED)
    queue_scoring(amended)
    return amended


def current_reviews(*, case: Case) -> list[Review]:
    """The standing sign-offs of the case's latest version (round 1, and round 2 when signed), in round order."""
    latest = latest_version(case)
    if latest is None:
        return []
    return list(
        Review.objects.filter(case_id=case.pk, version=latest, voided_at__isnull=True)
        .select_related("reviewer").order_by("round")
    )


# --- what the reviewer is told: derived from the state the action left the case in ---------------------------

_STATE_MESSAGES: dict[tuple[str, str, int | None], str] = {
    ("sign", CaseStatus.FINAL, 1): "Signed. The case is final.",
    ("sign", CaseStatus.NEEDS_SECOND_REVIEW, 1):
        "Signed. This finding names a high-risk class: the case now needs a second, different reviewer.",
    ("sign", CaseStatus.FINAL, 2): "Second review signed. The two findings agree: the case is final.",
    ("sign", CaseStatus.NEEDS_ADJUDICATION, 2):
        "Second review signed. It disagrees with the first review: the case now needs adjudication.",
    ("adjudicate", CaseStatus.FINAL, 3): "Adjudication signed. Your finding settles the disagreement: the case is final.",
    ("agree", CaseStatus.NEEDS_ADJUDICATION, None):
        "Your choice is recorded. The case stays in adjudication until the other reviewer confirms it.",
    ("agree", CaseStatus.FINAL, None): "Both reviewers agree on one finding: the case is final.",
    ("amend", CaseStatus.FINAL, 1): "Amended. The new version is final and supersedes the previous one.",
    ("amend", CaseStatus.NEEDS_SECOND_REVIEW, 1):
        "Amended. The new version names a high-risk class: it now needs a second, different reviewer. Until then "
        "the previous version stays the current finding.",
    ("blind", CaseStatus.AWAITING_REVIEW, None):
        "Your finding is saved. The AI draft is now shown: sign your final finding.",
    ("claim", CaseStatus.AWAITING_REVIEW, None): "You hold this case now: review and sign it.",
    ("claim", CaseStatus.NEEDS_SECOND_REVIEW, None): "You hold this case now for its second review.",
    ("release", CaseStatus.AWAITING_REVIEW, None): "released: other reviewers can take it now.",
    ("release", CaseStatus.NEEDS_SECOND_REVIEW, None):
        "released: it still needs a second review, by a reviewer other than the first.",
    ("release", CaseStatus.FINAL, None): "released: the finding stays final.",
    ("claim", CaseStatus.FINAL, None): "You hold this final case now: amend its finding.",
    ("ungradable", CaseStatus.NEEDS_NEW_PHOTO, None):
        "Every photo of this case is ungradable: the clinician is asked for a new photo.",
    ("ungradable", CaseStatus.AWAITING_REVIEW, None): "Photo marked ungradable. The case still awaits review.",
}


def state_message(*, action: str, status: str, round: int | None = None) -> str:  # noqa: A002 - the model's name
    """The sentence shown after `action` ("sign", "adjudicate", "agree", "amend", "blind", "claim", "release",
    "ungradable"), from the status it left the case in and the sign-off's round: never what was hoped for."""
    for key in ((action, status, round), (action, status, None)):
        if key in _STATE_MESSAGES:
            return _STATE_MESSAGES[key]
    return f"Done. The case is now {CaseStatus(status).label.lower()}."
