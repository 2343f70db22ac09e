"""Template helpers for the review parts shown on other apps' pages (the case page's finding panel)."""

from __future__ import annotations

from typing import Any

from django import template

from dermreview.accounts.roles import can_audit, can_review
from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.forms import FIELD_LABELS
from dermreview.review.models import Review
from dermreview.review.services.signoff import current_reviews

register = template.Library()


@register.simple_tag
def case_finding(case: Case, user: Any) -> dict[str, Any]:
    """What the case page shows about the case's finding: never a draft, only signed, human-confirmed text.

    `final`: the last standing sign-off of the latest version when the case is final (round 2 for dual review),
    with every signer; `disagreement`: fields the two reviewers of a dual review disagreed on, with both texts.
    """
    reviews = current_reviews(case=case)
    is_final = case.status == CaseStatus.FINAL and bool(reviews)
    final = reviews[-1] if is_final else None
    first = reviews[0] if len(reviews) > 1 else None
    disagreement = []
    if final is not None and first is not None:
        for name in final.disagreement_fields:
            disagreement.append({"label": FIELD_LABELS.get(name, name), "first": getattr(first, name),
                                 "second": getattr(final, name)})
    rows = [{"label": FIELD_LABELS[name], "value": getattr(final, name)} for name in FINDING_FIELDS] if final else []
    superseded = Review.objects.filter(case_id=case.pk, voided_at__isnull=False).count()
    ungradable = list(case.images.filter(ungradable_at__isnull=False)) if case.status == CaseStatus.NEEDS_NEW_PHOTO else []
    return {
        "final": final, "rows": rows, "signers": reviews if is_final else [],
        "first_signed": reviews[0] if case.status == CaseStatus.NEEDS_SECOND_REVIEW and reviews else None,
        "disagreement": disagreement, "superseded_count": superseded, "ungradable": ungradable,
        "can_review": can_review(user), "can_read_reviews": can_review(user) or can_audit(user),
        "can_amend": can_review(user) and is_final,
    }
