"""The review queue: the organisation's cases waiting for a sign-off (or an adjudication), high-risk first, then
oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone

from dermreview.cases.models import Case, CaseStatus
from dermreview.drafting.models import Draft, DraftStatus
from dermreview.review.services.blind import drafts_visible_q
from dermreview.review.services.rules import high_risk_q

QUEUE_STATUSES = (CaseStatus.AWAITING_REVIEW, CaseStatus.NEEDS_SECOND_REVIEW, CaseStatus.NEEDS_ADJUDICATION)
# Age filter buckets (case age since creation).
AGE_CHOICES = {"today": "Under 1 day", "week": "1 to 7 days", "older": "Over 7 days"}


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    body_site: str = ""
    lesion_type: str = ""
    age: str = ""


@dataclass(frozen=True)
class QueueCounts:
    total: int
    awaiting_review: int
    needs_second_review: int
    high_risk: int
    claimed: int
    needs_adjudication: int = 0


def review_queue(*, user: Any, filters: QueueFilters | None = None) -> QuerySet[Case]:
    """Cases of `user`'s organisation ready for a reviewer, in queue order.

    Ready: awaiting review or a second review, and either some draft is ready / needs manual entry / failed, or no
    draft is still being generated (none at all: drafting is off or the photos predate it). Cases whose every draft
    is still queued or running wait until the AI is done, so a reviewer does not start twice.
    Annotated with `ready_drafts` and `image_count`; `lesion_type` filters on the ready drafts' text.

    Blind-first: a case whose drafts `user` may not see yet (`blind.drafts_visible_q`) is filtered, counted and
    ordered as if it had no draft text at all, so neither the lesion-type filter nor the high-risk order and count
    hint at what the AI drafted before the reviewer's own finding is saved.
    """
    filters = filters or QueueFilters()
    drafts = Draft.objects.filter(image__case_id=OuterRef("pk"))
    # The draft text may inform the queue only where the user may see the drafts.
    drafts_shown = drafts_visible_q(user=user)
    cases = (
        Case.objects.visible_to(user)
        .filter(status__in=QUEUE_STATUSES)
        .annotate(
            has_settled=Exists(drafts.filter(status__in=[DraftStatus.READY, DraftStatus.NEEDS_MANUAL_ENTRY,
                                                         DraftStatus.FAILED])),
            has_pending=Exists(drafts.filter(status__in=[DraftStatus.QUEUED, DraftStatus.RUNNING])),
            # High-risk before anyone signs: a ready draft already names a high-risk class (the sign-off's
            # own predicate, in SQL).
            draft_high_risk=ExpressionWrapper(
                Q(Exists(drafts.filter(_draft_high_risk_q(user), status=DraftStatus.READY))) & drafts_shown,
                output_field=BooleanField()),
            ready_drafts=Count("images__drafts", filter=Q(images__drafts__status=DraftStatus.READY), distinct=True),
            image_count=Count("images", distinct=True),
        )
        .filter(Q(has_settled=True) | Q(has_pending=False))
        .annotate(is_high_risk=ExpressionWrapper(Q(high_risk=True) | Q(draft_high_risk=True),
                                                 output_field=BooleanField()))
        .select_related("claimed_by", "created_by")
    )
    if filters.status in QUEUE_STATUSES:
        cases = cases.filter(status=filters.status)
    if filters.body_site:
        cases = cases.filter(body_site=filters.body_site)
    if filters.lesion_type:
        cases = cases.filter(Exists(drafts.filter(status=DraftStatus.READY, lesion_type__icontains=filters.lesion_type)),
                             drafts_shown)
    now = timezone.now()
    if filters.age == "today":
        cases = cases.filter(created_at__gt=now - timedelta(days=1))
    elif filters.age == "week":
        cases = cases.filter(created_at__lte=now - timedelta(days=1), created_at__gt=now - timedelta(days=7))
    elif filters.age == "older":
        cases = cases.filter(created_at__lte=now - timedelta(days=7))
    return cases.order_by("-is_high_risk", "created_at", "pk")


def _draft_high_risk_q(user: Any) -> Q:
    """The sign-off's high-risk predicate over the ready drafts of the user's queue (a draft whose text names no
    class counts as high-risk until a reviewer picks one)."""
    organisation_id = getattr(user, "organisation_id", None)
    ready = Draft.objects.filter(image__case__organisation_id=organisation_id, status=DraftStatus.READY,
                                 image__case__status__in=QUEUE_STATUSES)
    return high_risk_q("lesion_type", rows=ready, organisation_id=organisation_id)


def review_queue_counts(*, cases: QuerySet[Case]) -> QueueCounts:
    """Counts over a queue queryset (one query)."""
    now = timezone.now()
    agg = cases.order_by().aggregate(
        total=Count("pk", distinct=True),
        awaiting=Count("pk", filter=Q(status=CaseStatus.AWAITING_REVIEW), distinct=True),
        second=Count("pk", filter=Q(status=CaseStatus.NEEDS_SECOND_REVIEW), distinct=True),
        high_risk=Count("pk", filter=Q(is_high_risk=True), distinct=True),
        claimed=Count("pk", filter=Q(claimed_by__isnull=False, claim_expires_at__gt=now), distinct=True),
        adjudication=Count("pk", filter=Q(status=CaseStatus.NEEDS_ADJUDICATION), distinct=True),
    )
    return QueueCounts(agg["total"], agg["awaiting"], agg["second"], agg["high_risk"], agg["claimed"],
                       agg["adjudication"])
