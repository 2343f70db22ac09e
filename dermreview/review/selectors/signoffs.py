"""Which sign-offs a user may read, and how much of them: the rule the API's reviews share with the pages.

Until a case is final a clinician learns its status only (the case page says "no final finding yet"), so the
sign-offs of a case still waiting for its second reviewer, or re-opened by an amendment, are not theirs to read;
nor, ever, the AI draft a sign-off started from. Reviewers and auditors read every sign-off of their organisation.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dermreview.accounts.roles import can_audit, can_review
from dermreview.cases.models import CaseStatus
from dermreview.review.models import Review


def may_see_draft_snapshots(user: Any) -> bool:
    """Reviewers and auditors; never clinicians."""
    return can_review(user) or can_audit(user)


def readable_signoffs(*, user: Any, queryset: QuerySet[Review]) -> QuerySet[Review]:
    """`queryset` (already scoped to `user`'s organisation) narrowed to the sign-offs `user` may read."""
    if can_review(user) or can_audit(user):
        return queryset
    return queryset.filter(case__status=CaseStatus.FINAL)
