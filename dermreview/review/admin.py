"""Django admin for human review: signed findings, blind findings and agreement scores, all read-only.

Patient data, scoped like every admin (`OrganisationScopedAdmin`): admin staff holding a clinical role in the
clinic see its rows; an operator sees none of their own right.

A signed finding keeps the AI draft its reviewer was shown (`draft_snapshot`). The admin shows that text only as
the review pages would: labelled as an AI draft, never to someone from whom a blind-first case still withholds its
drafts (`draft_visible_to`), and each showing is recorded (`draft.view`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join

from dermreview.accounts.admin import OrganisationScopedAdmin
from dermreview.audit.services.events import audit_log
from dermreview.drafting.models.fields import FIELD_LABELS
from dermreview.review.models import AgreementScore, BlindFinding, Review
from dermreview.review.services.blind import draft_visible_to

DRAFT_SNAPSHOT_DISPLAY = "ai_draft_shown"


class _ReadOnlyReviewAreaAdmin(OrganisationScopedAdmin):
    """Signed findings, blind findings and scores are written only by the review services: the admin reads.

    Editing a Review here would bypass the sign-off rules and the audit trail; amendments go through the review
    page (`review_amend`), which keeps the history.
    """

    organisation_path = "case__organisation"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.get_fields(request, obj))


@admin.register(Review)
class ReviewAdmin(_ReadOnlyReviewAreaAdmin):
    list_display = ["id", "case", "version", "round", "reviewer", "outcome", "lesion_type", "all_unchanged",
                    "time_on_task_ms", "signed_at", "voided_at", "scored_at"]
    list_filter = ["outcome", "round", "all_unchanged"]
    search_fields = ["=id", "=case__id", "reviewer__username", "lesion_type"]
    date_hierarchy = "signed_at"
    list_select_related = ["case", "reviewer"]

    def _draft_shown(self, request: HttpRequest, obj: Review | None) -> bool:
        return bool(obj is not None and obj.draft_snapshot and draft_visible_to(case=obj.case, user=request.user))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [field.name for field in Review._meta.fields if field.name != "draft_snapshot"]
        return [*fields, DRAFT_SNAPSHOT_DISPLAY] if self._draft_shown(request, obj) else fields

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], add: bool = False,
                           change: bool = False, form_url: str = "", obj: Review | None = None) -> HttpResponse:
        if self._draft_shown(request, obj):
            audit_log(action="draft.view", obj=obj, organisation=obj.case.organisation,
                      details={"via": "admin", "review_id": obj.pk, "draft_id": obj.draft_snapshot.get("draft_id")})
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    @admin.display(description="AI draft shown to the reviewer")
    def ai_draft_shown(self, obj: Review) -> str:
        snapshot = obj.draft_snapshot or {}
        fields = snapshot.get("fields") or {}
        rows = format_html_join("", "<dt>{}</dt><dd>{}</dd>",
                                ((FIELD_LABELS.get(name, name), value) for name, value in fields.items()))
        return format_html(
            '<div class="ai-draft"><p class="ai-label">AI draft, not a finding (model {} {}{}, prompt {})</p>'
            "<dl>{}</dl></div>",
            snapshot.get("model_id", "?"), snapshot.get("model_revision", ""),
            f", weights {snapshot['resolved_revision']}" if snapshot.get("resolved_revision") else "",
            snapshot.get("prompt_version", "?"), rows,
        )


@admin.register(BlindFinding)
class BlindFindingAdmin(_ReadOnlyReviewAreaAdmin):
    list_display = ["id", "case", "reviewer", "lesion_type", "created_at"]
    search_fields = ["=case__id", "reviewer__username"]
    list_select_related = ["case", "reviewer"]


@admin.register(AgreementScore)
class AgreementScoreAdmin(_ReadOnlyReviewAreaAdmin):
    organisation_path = "review__case__organisation"
    list_display = ["id", "review", "comparison", "field", "f1", "exact_match", "scorer_model", "scorer_num_layers",
                    "scorer_version", "created_at"]
    list_filter = ["comparison", "field", "scorer_model", "scorer_num_layers", "exact_match"]
    search_fields = ["=review__id", "=review__case__id"]
    list_select_related = ["review"]
# --- end of review ---------------------------------------------------------------------------------------------------
