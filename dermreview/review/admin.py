"""Django admin for human review: signed findings, blind findings and agreement scores, all read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from dermreview.review.models import AgreementScore, BlindFinding, Review


class _ReadOnlyReviewAreaAdmin(admin.ModelAdmin):
    """Signed findings, blind findings and scores are written only by the review services: the admin reads.

    Editing a Review here would bypass the sign-off rules and the audit trail; amendments go through the review
    page (`review_amend`), which keeps the history.
    """

    org_path = "case__organisation_id"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        organisation_id = getattr(request.user, "organisation_id", None)
        return queryset.filter(**{self.org_path: organisation_id}) if organisation_id else queryset

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(_ReadOnlyReviewAreaAdmin):
    list_display = ["id", "case", "version", "round", "reviewer", "outcome", "lesion_type", "all_unchanged",
                    "time_on_task_ms", "signed_at", "voided_at", "scored_at"]
    list_filter = ["outcome", "round", "all_unchanged"]
    search_fields = ["=id", "=case__id", "reviewer__username", "lesion_type"]
    date_hierarchy = "signed_at"
    list_select_related = ["case", "reviewer"]


@admin.register(BlindFinding)
class BlindFindingAdmin(_ReadOnlyReviewAreaAdmin):
    list_display = ["id", "case", "reviewer", "lesion_type", "created_at"]
    search_fields = ["=case__id", "reviewer__username"]
    list_select_related = ["case", "reviewer"]


@admin.register(AgreementScore)
class AgreementScoreAdmin(_ReadOnlyReviewAreaAdmin):
    org_path = "review__case__organisation_id"
    list_display = ["id", "review", "comparison", "field", "f1", "exact_match", "scorer_model", "scorer_num_layers",
                    "scorer_version", "created_at"]
    list_filter = ["comparison", "field", "scorer_model", "scorer_num_layers", "exact_match"]
    search_fields = ["=review__id", "=review__case__id"]
    list_select_related = ["review"]
# --- end of review ---------------------------------------------------------------------------------------------------
