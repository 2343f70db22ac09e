from __future__ import annotations

from django.urls import path

from dermreview.findings.views import drafts, review, review_amend, review_result

app_name = "review"

urlpatterns: list = [
    # Review (issue 4)
    path("", review.queue, name="queue"),
    path("cases/<int:pk>/", review.review_case, name="case"),
    path("cases/<int:pk>/blind/", review.blind_entry, name="blind"),
    path("cases/<int:pk>/release/", review.release, name="release"),
    path("images/<int:image_pk>/ungradable/", review.mark_ungradable, name="ungradable"),
    path("reviews/<int:pk>/", review_result.result, name="result"),
    path("reviews/<int:pk>/agreement.json", review_result.result_json, name="result_json"),
    path("reviews/<int:pk>/amend/", review_amend.amend, name="amend"),
    # AI draft status (issue 3)
    path("cases/<int:pk>/drafts/status/", drafts.case_drafts_status, name="draft_status"),
    path("images/<int:pk>/draft/", drafts.image_draft, name="image_draft"),
]
