"""Blind-first review: the reviewer records their own finding before the AI draft is revealed.

For blind-first cases (`Case.blind_first`, chosen at random on creation) the server withholds every draft of the
case, in the HTML and in the API, from a reviewer until that reviewer's BlindFinding is saved. Both findings are
kept, so the AI's influence on reviewers can be measured (agreement blind vs draft, blind vs final).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from dermreview.accounts.roles import can_audit, can_review
from dermreview.audit.services.events import audit_log
from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models import Draft, DraftStatus
from dermreview.review.errors import ReviewNotAllowed, ReviewRoleDenied
from dermreview.review.models import BlindFinding, Review
from dermreview.review.services.claim import assert_not_claimed_by_other
from dermreview.review.services.rules import clean_finding_fields, finding_lesion_class


def draft_visible_to(*, case: Case, user: Any) -> bool:
    """Whether `user` may see the AI drafts of `case` now (organisation access is checked by the caller).

    True for ordinary cases. For a blind-first case: True once the user has saved their blind finding, once the
    case has any sign-off (the blind phase is over), and for auditors who cannot review (they cannot be biased
    into a sign-off). False for everyone else, reviewers, clinicians and admins alike.
    """
    if not case.blind_first:
        return True
    if can_audit(user) and not can_review(user):
        return True
    if Review.objects.filter(case_id=case.pk).exists():
        return True
    return BlindFinding.objects.filter(case_id=case.pk, reviewer_id=getattr(user, "pk", None)).exists()


def drafts_visible_q(*, user: Any, case_path: str = "") -> Q:
    """`draft_visible_to` as a filter, for querysets that reach the case through `case_path` ("" on Case,
    "image__case__" on Draft): rows whose drafts `user` may see now. Queue filters, counts and ordering, and the
    draft export, use it so that nothing derived from a withheld draft reaches a reviewer before their blind entry.
    """
    if can_audit(user) and not can_review(user):
        return Q()
    case_pk = OuterRef(f"{case_path}pk")
    return (
        Q(**{f"{case_path}blind_first": False})
        | Q(Exists(Review.objects.filter(case_id=case_pk)))
        | Q(Exists(BlindFinding.objects.filter(case_id=case_pk, reviewer_id=getattr(user, "pk", None))))
    )


def blind_finding_for(*, case: Case, user: Any) -> BlindFinding | None:
    return BlindFinding.objects.filter(case_id=case.pk, reviewer_id=getattr(user, "pk", None)).first()


def blind_entry_required(*, case: Case, user: Any) -> bool:
    """True while `user` must record a blind finding before seeing the draft or signing round 1."""
    return (
        case.blind_first
        and case.status == CaseStatus.AWAITING_REVIEW
        and not Review.objects.filter(case_id=case.pk, voided_at__isnull=True).exists()
        and blind_finding_for(case=case, user=user) is None
    )


def blind_finding_record(
    *, case: Case, reviewer: Any, fields: dict[str, str]
) -> BlindFinding:
    """Save `reviewer`'s own six-field finding for a blind-first case, then reveal the drafts to them.

    Raises ReviewRoleDenied (not a reviewer / other organisation), ReviewNotAllowed (not a blind-first case, not
    awaiting its first sign-off, or already recorded: a blind finding is never changed), ReviewConflict (another
    reviewer holds the claim) and ReviewInvalid (field errors; the lesion type must name a class of the diagnosis
    vocabulary, stored as `lesion_class`). Audited: `blind_finding.record` and
    `draft.revealed_after_blind_entry`.
    """
    if not can_review(reviewer):
        raise ReviewRoleDenied("Only reviewers record blind findings.")
    if case.organisation_id != reviewer.organisation_id:
        raise ReviewRoleDenied("This case belongs to another organisation.")
    if not case.blind_first:
        raise ReviewNotAllowed("This case is not blind-first: review it from the AI draft.", code="state")
    if case.status != CaseStatus.AWAITING_REVIEW:
        raise ReviewNotAllowed("Blind findings are recorded only before the first sign-off.", code="state")
    cleaned = clean_finding_fields(fields)
    lesion_class = finding_lesion_class(cleaned["lesion_type"], organisation_id=case.organisation_id)
    assert_not_claimed_by_other(case=case, user=reviewer, submitted={"fields": cleaned})
    try:
        with transaction.atomic():
            finding = BlindFinding.objects.create(case=case, reviewer=reviewer, lesion_class=lesion_class, **cleaned)
            audit_log(action="blind_finding.record", actor=reviewer, obj=finding,
                      details={"fields": cleaned, "lesion_class": lesion_class.code})
            draft_reveal(case=case, reviewer=reviewer)
    except IntegrityError:
        raise ReviewNotAllowed("You have already recorded your blind finding for this case.", code="state") from None
    return finding


def draft_reveal(*, case: Case, reviewer: Any) -> list[Draft]:
    """Record that the drafts of a blind-first case were revealed to `reviewer`; return the usable drafts.

    Raises ReviewNotAllowed (code "blind_entry_required") while the reviewer's blind finding is missing. Called
    by `blind_finding_record`; the API may call it when it first returns the draft after blind entry.
    """
    if not draft_visible_to(case=case, user=reviewer):
        raise ReviewNotAllowed("Record your own finding first: the AI draft is shown after that.",
                               code="blind_entry_required")
    drafts = list(Draft.objects.filter(image__case_id=case.pk, status=DraftStatus.READY).order_by("created_at", "pk"))
    audit_log(action="draft.revealed_after_blind_entry", actor=reviewer, obj=case,
              details={"draft_ids": [d.pk for d in drafts]})
    return drafts
