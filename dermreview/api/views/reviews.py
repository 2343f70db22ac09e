"""`cases/{case_pk}/reviews/` (every sign-off, voided ones included), `reviews/{id}/` and `reviews/{id}/amend/`."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dermreview.accounts.roles import Role
from dermreview.api.base import OrganisationScopedViewSet
from dermreview.api.serializers.reviews import AmendSerializer, ReviewSerializer
from dermreview.review.models import Review
from dermreview.review.services.signoff import review_amend


@extend_schema_view(
    list=extend_schema(summary="Every sign-off of a case, oldest first (amended ones marked `is_void`)"),
    retrieve=extend_schema(summary="One sign-off"),
)
class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganisationScopedViewSet):
    queryset = Review.objects.all()
    serializer_class = ReviewSerializer
    write_roles = {"amend": (Role.REVIEWER, Role.ADMIN)}
    extra_error_statuses = {"amend": (409,)}

    def narrow(self, queryset: QuerySet[Review]) -> QuerySet[Review]:
        queryset = queryset.select_related("reviewer", "voided_by", "case")
        if "case_pk" in self.kwargs:
            queryset = queryset.filter(case=self.get_parent_case())
        return queryset.order_by("version", "round", "pk")

    @extend_schema(
        summary="Amend a final finding (reviewers)",
        description="Writes version N+1 and voids this version's sign-offs; a high-risk amendment needs a second "
                    "reviewer again (POST cases/{id}/sign/). 409 when the case changed (`current_lock_version`).",
        request=AmendSerializer, responses={201: ReviewSerializer},
    )
    @action(detail=True, methods=["post"], url_path="amend")
    def amend(self, request: Request, pk: str) -> Response:
        review = self.get_object()
        data = AmendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amended = review_amend(review=review, reviewer=request.user, **data.validated_data)
        return Response(ReviewSerializer(amended).data, status=status.HTTP_201_CREATED)
