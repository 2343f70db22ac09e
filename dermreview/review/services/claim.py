"""Claiming a case while reviewing it: a lock with an expiry, so two reviewers do not work on one case unawares.

A claim is not a status: the case stays `awaiting_review` / `needs_second_review` and reads "In review" while
claimed (`Case.display_status`). It expires after `settings.DERMREVIEW_CLAIM_MINUTES`, so a reviewer who walks
away does not block the case. The claim does not bump `lock_version`: only review writes do.

Claiming is an explicit act (the review page's "Start review" POST, the API's `POST cases/{id}/claim/`); opening
a page never claims. `Case.claimed_at` records when the claim was taken: the sign-off measures time on task from
it, on the server's clock. Renewing one's own unexpired claim keeps it; a claim taken afresh (nobody's, someone
else's expired one, or one's own expired one) starts it again. A sign-off needs the signer's own current claim
(`assert_claim_held`), and so does an amendment: a final case is claimed to amend it ("Start amendment").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q, Value, When
from django.utils import timezone

from dermreview.accounts.roles import can_review
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Case, CaseStatus
from dermreview.review.errors import ReviewConflict, ReviewNotAllowed, ReviewRoleDenied

# A final case is claimed to amend its finding ("Start amendment"): the amendment's time on task runs from that claim.
CLAIMABLE_STATUSES = (CaseStatus.AWAITING_REVIEW, CaseStatus.NEEDS_SECOND_REVIEW, CaseStatus.FINAL)


def claim_conflict_message(holder: Any, expires_at: Any) -> str:
    local = timezone.localtime(expires_at)
    return f"{holder} is reviewing this case (claimed until {local:%H:%M}). It opens for others when they finish or the claim expires."


def case_claim(*, case: Case, user: Any) -> Case:
    """Claim `case` for `user` (or renew their own claim) until now + DERMREVIEW_CLAIM_MINUTES.

    A final case may be claimed too, to amend its finding. Raises ReviewRoleDenied for non-reviewers,
    ReviewNotAllowed when the case is neither final nor awaiting a sign-off (or
    awaits a second review and `user` signed the first), and ReviewConflict (with `holder`) while another reviewer's claim has not expired. Returns the refreshed case.
    A new claim is audited (`case.claim`); renewing one's own claim is not, to keep the trail readable.
    """
    if not can_review(user):
        raise ReviewRoleDenied("Only reviewers can claim a case.")
    if case.organisation_id != user.organisation_id:
        # Callers resolve the case through visible_to(); this guards direct service use.
        raise ReviewRoleDenied("This case belongs to another organisation.")
    if case.status == CaseStatus.NEEDS_SECOND_REVIEW and case.reviews.filter(
        round=1, reviewer=user, voided_at__isnull=True
    ).exists():
        # The first signer cannot sign round 2, so their claim would only keep the second reviewer out.
        raise ReviewNotAllowed("You signed the first review; a second, different reviewer takes it from here.",
                               code="same_reviewer")
    now = timezone.now()
    expires = now + timedelta(minutes=settings.DERMREVIEW_CLAIM_MINUTES)
    with transaction.atomic():
        # One conditional UPDATE decides between two reviewers claiming at the same moment: only the one whose
        # UPDATE finds the claim free (or already theirs, or expired) changes the row.
        free = Q(claimed_by__isnull=True) | Q(claimed_by=user) | Q(claim_expires_at__lte=now)
        previous = Case.objects.filter(pk=case.pk).values_list("claimed_by_id", "claim_expires_at").first()
        # Renewing one's own running claim keeps when it began; any other claim begins now.
        own_running = Q(claimed_by=user, claim_expires_at__gt=now, claimed_at__isnull=False)
        updated = (
            Case.objects.filter(pk=case.pk, status__in=CLAIMABLE_STATUSES)
            .filter(free)
            .update(claimed_by=user, claim_expires_at=expires,
                    claimed_at=models.Case(When(own_running, then=F("claimed_at")), default=Value(now)))
        )
        case.refresh_from_db()
        if not updated:
            if case.status not in CLAIMABLE_STATUSES:
                raise ReviewNotAllowed(
                    f"This case is {case.get_status_display().lower()}: there is nothing to sign or amend now.", code="state"
                )
            holder = case.active_claim_holder(now)
            raise ReviewConflict(
                claim_conflict_message(holder, case.claim_expires_at), holder=holder,
                current_lock_version=case.lock_version,
            )
        renewed = previous is not None and previous[0] == user.pk and previous[1] is not None and previous[1] > now
        if not renewed:
            audit_log(action="case.claim", actor=user, obj=case,
                      details={"expires_at": expires.isoformat()})
    return case


def case_release(*, case: Case, user: Any) -> Case:
    """Give up `user`'s claim on `case` (audited as `case.release`).

    Releasing a case nobody holds does nothing. Another reviewer's unexpired claim cannot be released
    (ReviewNotAllowed, code "claim"): it expires by itself.
    """
    if not can_review(user):
        raise ReviewRoleDenied("Only reviewers can release a claim.")
    now = timezone.now()
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, claimed_by=user).update(claimed_by=None, claim_expires_at=None,
                                                                           claimed_at=None)
        case.refresh_from_db()
        if updated:
            audit_log(action="case.release", actor=user, obj=case)
            return case
        holder = case.active_claim_holder(now)
        if holder is not None:
            raise ReviewNotAllowed(f"{holder} holds this case; only they can release it (or wait for the claim to expire).",
                                   code="claim")
    return case


def assert_not_claimed_by_other(*, case: Case, user: Any, submitted: dict[str, Any] | None = None) -> None:
    """Raise ReviewConflict when someone other than `user` holds an unexpired claim on `case`."""
    holder = case.active_claim_holder()
    if holder is not None and holder.pk != user.pk:
        raise ReviewConflict(
            claim_conflict_message(holder, case.claim_expires_at), holder=holder, submitted=submitted,
            current_lock_version=case.lock_version,
        )


def case_release_all(*, user: Any) -> list[int]:
    """Give up every claim `user` holds in their organisation, expired ones included; returns the released cases' ids.

    Audited as one `case.release` per case (with `"all": true`), so each case's own history shows it.
    """
    if not can_review(user):
        raise ReviewRoleDenied("Only reviewers can release claims.")
    with transaction.atomic():
        held = list(Case.objects.visible_to(user).select_for_update().filter(claimed_by=user).order_by("pk"))
        Case.objects.filter(pk__in=[case.pk for case in held], claimed_by=user).update(
            claimed_by=None, claim_expires_at=None, claimed_at=None)
        for case in held:
            audit_log(action="case.release", actor=user, obj=case, details={"all": True})
    return [case.pk for case in held]


def assert_claim_held(*, case: Case, user: Any, now: datetime, submitted: dict[str, Any] | None = None) -> datetime:
    """When `user`'s current claim on `case` began; the sign-off's time on task runs from it.

    Raises ReviewConflict when another reviewer holds an unexpired claim, and ReviewNotAllowed (code
    "claim_required", 409) when `user` holds none: "claim the case first".
    """
    assert_not_claimed_by_other(case=case, user=user, submitted=submitted)
    holder = case.active_claim_holder(now)
    if holder is None or holder.pk != user.pk or case.claimed_at is None:
        raise ReviewNotAllowed(
            f"Claim the case first: press Start review or Start amendment (API: POST /api/v1/cases/{case.pk}/claim/), "
            "then sign. "
            "Time on task is measured from your claim.", code="claim_required",
        )
    return case.claimed_at
