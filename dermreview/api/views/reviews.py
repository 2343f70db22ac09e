"""`cases/{case_pk}/reviews/` (every sign-off, voided ones included), `reviews/{id}/` and `reviews/{id}/amend/`.

What a user reads follows `review.selectors.signoffs`: a clinician sees no sign-off of a case that is not final
(its status, on `cases/{id}/`, is all they get until then) and never the AI draft behind one. Reading a sign-off
that carries the AI draft it started from is a read of that draft: audited as `draft.view`, once per request.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dermreview.accounts.roles import Role
from dermreview.api.base import OrganisationScopedViewSet
from dermreview.api.serializers.reviews import AmendSerializer, ReviewSerializer
from dermreview.audit.services.events import audit_log
from dermreview.review.models import Review
from dermreview.review.selectors.signoffs import may_see_draft_snapshots, readable_signoffs
from dermreview.review.services.signoff import review_amend

_STATUS_ONLY = ("Clinicians see the sign-offs of final cases only: until a case is final its status "
                "(`GET cases/{id}/`) is all they get.")


@extend_schema_view(
    list=extend_schema(summary="Every sign-off of a case, oldest first (amended ones marked `is_void`)",
                       description=_STATUS_ONLY),
    retrieve=extend_schema(summary="One sign-off", description=_STATUS_ONLY),
)
class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganisationScopedViewSet):
    queryset = Review.objects.all()
    serializer_class = ReviewSerializer
    write_roles = {"amend": (Role.REVIEWER,)}
    extra_error_statuses = {"amend": (409,)}

    def narrow(self, queryset: QuerySet[Review]) -> QuerySet[Review]:
        queryset = readable_signoffs(user=self.request.user, queryset=queryset)
        queryset = queryset.select_related("reviewer", "voided_by", "case")
        if "case_pk" in self.kwargs:
            queryset = queryset.filter(case=self.get_parent_case())
        return queryset.order_by("version", "round", "pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        reviews = list(self.get_queryset())
        self._record_draft_views(reviews)
        return Response(self.get_serializer(reviews, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        review = self.get_object()
        self._record_draft_views([review])
        return Response(self.get_serializer(review).data)

    def _record_draft_views(self, reviews: list[Review]) -> None:
        shown = [review for review in reviews if review.draft_snapshot]
        if not shown or not may_see_draft_snapshots(self.request.user):
            return
        draft_ids = {review.draft_snapshot.get("draft_id") or review.draft_id for review in shown}
        audit_log(action="draft.view", actor=self.request.user, obj=shown[0].case,
                  details={"via": "api_reviews", "review_ids": [review.pk for review in shown],
                           "draft_ids": sorted(pk for pk in draft_ids if pk is not None)})

    @extend_schema(
        summary="Amend a final finding (reviewers)",
        description="Writes version N+1 and voids this version's sign-offs; a high-risk amendment needs a second "
                    "reviewer again (POST cases/{id}/sign/). Claim the final case first (POST cases/{id}/claim/): "
                    "time on task runs from the claim, on the server's clock; `opened_at` is ignored. 409 when the "
                    "case changed (`current_lock_version`) or the caller holds no claim (`claim_required`).",
        request=AmendSerializer, responses={201: ReviewSerializer},
    )
    @action(detail=True, methods=["post"], url_path="amend")
    def amend(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        data = AmendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = {name: value for name, value in data.validated_data.items() if name != "opened_at"}
        amended = review_amend(review=review, reviewer=request.user, **values)
        return Response(ReviewSerializer(amended).data, status=status.HTTP_201_CREATED)
