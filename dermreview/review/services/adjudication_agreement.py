"""Settling a dual-review disagreement by agreement: the two reviewers agree on one of their two findings.

Besides a third reviewer's adjudication (`adjudication.py`), either of the two reviewers who disagreed may propose
one of the two findings ("Accept the other reviewer's finding" or "Keep mine"). The proposal is stored on the
round-2 sign-off (`Review.adjudication_proposal`, the only thing ever written to it after signing) and audited as
`review.adjudication_propose`; a later proposal replaces it. The OTHER reviewer confirms it: that writes round 3,
signed by the confirming reviewer with the proposed finding, resolution `agreed`, and the case becomes final
(`review.adjudicate` with `via: "agreement"`). The proposer cannot confirm their own proposal. A third reviewer can
adjudicate at any time; the case is then final and a pending proposal is void.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Case
from dermreview.review.errors import ReviewConflict, ReviewInvalid, ReviewNotAllowed
from dermreview.review.models import Review
from dermreview.review.models.review import ReviewResolution
from dermreview.review.services.adjudication import Disagreement, standing_disagreement, write_round_three
from dermreview.review.services.case_lock import case_locked, lock_case
from dermreview.review.services.claim import assert_not_claimed_by_other
from dermreview.review.services.finding_checks import require_reviewer, signing_checks

PROPOSAL_CHANGED = "The proposal changed while you were reading it. Reload the page and check it again."


@dataclass(frozen=True, slots=True)
class AgreementChoices:
    """What the adjudication page offers one viewer on the agreement path (None: the viewer signed neither)."""

    own_round: int
    other_round: int
    other_reviewer: str
    proposal_round: int | None
    proposed_by_me: bool

    @property
    def may_confirm(self) -> bool:
        return self.proposal_round is not None and not self.proposed_by_me


def agreement_choices(*, pending: Disagreement | None, user: Any) -> AgreementChoices | None:
    """The agreement options of `user` on `pending`: only the two reviewers who disagreed have any."""
    if pending is None or user.pk not in (pending.first.reviewer_id, pending.second.reviewer_id):
        return None
    mine, other = (pending.first, pending.second) if user.pk == pending.first.reviewer_id else \
        (pending.second, pending.first)
    proposal = pending.second.adjudication_proposal or {}
    return AgreementChoices(
        own_round=mine.round, other_round=other.round, other_reviewer=str(other.reviewer),
        proposal_round=proposal.get("round"), proposed_by_me=proposal.get("by") == user.pk,
    )


def review_adjudication_propose(*, case: Case, reviewer: Any, round: int, expected_lock_version: int) -> Review:  # noqa: A002
    """Propose settling the disagreement on round `round`'s finding (1 or 2); `reviewer` signed one of them.

    Returns the round-2 Review holding the proposal. Raises ReviewRoleDenied, ReviewNotAllowed (wrong state, or code
    "not_party"), ReviewConflict (stale lock version) or ReviewInvalid. Nothing is written when it raises.
    """
    require_reviewer(reviewer, case)
    if round not in (1, 2):
        raise ReviewInvalid({"round": "Choose one of the two findings."})
    with transaction.atomic():
        locked = lock_case(case, expected_lock_version, {"round": round})
        pending = _party(locked, reviewer)
        proposal = {"round": round, "by": reviewer.pk, "at": timezone.now().isoformat()}
        Review.objects.filter(pk=pending.second.pk).update(adjudication_proposal=proposal)
        chosen = pending.first if round == 1 else pending.second
        audit_log(
            action="review.adjudication_propose", actor=reviewer, obj=pending.second,
            details={"version": pending.version, "round": round, "keeps_own": chosen.reviewer_id == reviewer.pk,
                     "lesion_type": chosen.lesion_type},
        )
    return Review.objects.get(pk=pending.second.pk)


def review_adjudication_confirm(
    *, case: Case, reviewer: Any, round: int, opened_at: datetime, expected_lock_version: int,  # noqa: A002
    attestation: bool,
) -> Review:
    """Confirm the other reviewer's pending proposal to settle on round `round`'s finding; the case becomes final.

    Writes round 3, signed by `reviewer` with that finding and resolution `agreed`. Raises ReviewRoleDenied,
    ReviewNotAllowed (wrong state; code "not_party", "no_proposal" or "own_proposal"), ReviewConflict (stale lock
    version, or the proposal changed) or ReviewInvalid. Nothing is written when it raises.
    """
    submitted = {"round": round}
    require_reviewer(reviewer, case)
    now = timezone.now()
    with case_locked(case, expected_lock_version, submitted) as locked:
        assert_not_claimed_by_other(case=locked, user=reviewer, submitted=submitted)
        pending = _party(locked, reviewer)
        _check_proposal(pending, reviewer, round, locked)
        errors: dict[str, str] = {}
        ms = signing_checks(attestation=attestation, started_at=opened_at, now=now, errors=errors)
        chosen = pending.first if round == 1 else pending.second
        cleaned = {**chosen.finding_fields(), "lesion_class": chosen.lesion_class}
        review = write_round_three(locked, pending, reviewer=reviewer, cleaned=cleaned, opened_at=opened_at,
                                   now=now, time_on_task_ms=ms, expected_lock_version=expected_lock_version,
                                   submitted=submitted, resolution=ReviewResolution.AGREED)
    return review


def _party(locked: Case, reviewer: Any) -> Disagreement:
    pending = standing_disagreement(case=locked, action="settle")
    if reviewer.pk not in (pending.first.reviewer_id, pending.second.reviewer_id):
        raise ReviewNotAllowed(
            "Only the two reviewers who disagree can settle it by agreement; you can adjudicate instead.",
            code="not_party",
        )
    return pending


def _check_proposal(pending: Disagreement, reviewer: Any, round: int, locked: Case) -> None:  # noqa: A002
    proposal = pending.second.adjudication_proposal or {}
    if not proposal:
        raise ReviewNotAllowed("There is no proposal to agree to: propose one of the two findings.",
                               code="no_proposal")
    if proposal.get("by") == reviewer.pk:
        raise ReviewNotAllowed("You made this proposal: the other reviewer must confirm it.", code="own_proposal")
    if proposal.get("round") != round:
        raise ReviewConflict(PROPOSAL_CHANGED, submitted={"round": round}, current_lock_version=locked.lock_version)
