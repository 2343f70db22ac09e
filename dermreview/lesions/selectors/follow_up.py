"""The clinic's follow-ups (`/patients/follow-up/`): lesions whose latest final finding says "monitor".

A lesion is due when its newest visit is final and that finding's plan (`review/services/plan.py`: the standing
sign-off of the latest version with the highest round that recorded a plan) is "monitor" with a follow-up date.
The follow-up is done once a later visit of the lesion exists, whatever its state: the later visit carries the
lesion on. Two queries, whatever the number of lesions: the rows of the tab, and both tabs' counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from dermreview.cases.models import Case, CaseStatus
from dermreview.review.models import Review
from dermreview.review.models.plan import ManagementPlan

DUE_WITHIN_DAYS = 30
TABS = {"due": "Due in the next 30 days", "overdue": "Overdue"}


@dataclass(frozen=True, slots=True)
class FollowUpRow:
    due_on: date
    days: int  # days until due (due tab) or days overdue (overdue tab)
    patient_id: int | None
    patient_ref: str
    lesion_id: int
    lesion: str  # label, laterality and body site
    case_id: int  # the last visit
    last_visit_on: datetime
    review_id: int


@dataclass(frozen=True, slots=True)
class FollowUpPage:
    tab: str
    rows: tuple[FollowUpRow, ...]
    due_count: int
    overdue_count: int


def _monitored(user: Any) -> QuerySet[Review]:
    """The current plan of each lesion whose newest visit is final with a plan to monitor."""
    later_visit = Case.objects.filter(
        Q(created_at__gt=OuterRef("case__created_at")) | Q(created_at=OuterRef("case__created_at"),
                                                           pk__gt=OuterRef("case_id")),
        lesion_id=OuterRef("case__lesion_id"),
    )
    later_plan = Review.objects.filter(
        Q(version__gt=OuterRef("version")) | Q(version=OuterRef("version"), round__gt=OuterRef("round")),
        case_id=OuterRef("case_id"), voided_at__isnull=True,
    ).exclude(management_plan="")
    return (Review.objects.visible_to(user).active()
            .filter(case__status=CaseStatus.FINAL, case__lesion__isnull=False, management_plan=ManagementPlan.MONITOR,
                    follow_up_on__isnull=False)
            .filter(~Exists(later_visit), ~Exists(later_plan)))


def follow_up_page(*, user: Any, tab: str, today: date) -> FollowUpPage:
    """`tab`: "due" (from today to `DUE_WITHIN_DAYS` ahead, soonest first) or "overdue" (before today, longest
    overdue first); anything else reads as "due"."""
    tab = tab if tab in TABS else "due"
    horizon = today + timedelta(days=DUE_WITHIN_DAYS)
    monitored = _monitored(user)
    due_q = Q(follow_up_on__gte=today, follow_up_on__lte=horizon)
    overdue_q = Q(follow_up_on__lt=today)
    counts = monitored.aggregate(due=Count("pk", filter=due_q), overdue=Count("pk", filter=overdue_q))
    rows = (monitored.filter(due_q if tab == "due" else overdue_q)
            .select_related("case__lesion__patient").order_by("follow_up_on", "pk"))
    return FollowUpPage(tab=tab, rows=tuple(_row(r, today) for r in rows), due_count=counts["due"],
                        overdue_count=counts["overdue"])


def _row(review: Review, today: date) -> FollowUpRow:
    case = review.case
    lesion = case.lesion
    assert lesion is not None and review.follow_up_on is not None
    where = f"{lesion.get_laterality_display()} {lesion.get_body_site_display().lower()}"
    return FollowUpRow(
        due_on=review.follow_up_on, days=abs((review.follow_up_on - today).days),
        patient_id=lesion.patient_id, patient_ref=lesion.patient.reference, lesion_id=lesion.pk,
        lesion=f"{lesion.label} ({where})" if lesion.label else where.capitalize(),
        case_id=case.pk, last_visit_on=case.created_at, review_id=review.pk,
    )
