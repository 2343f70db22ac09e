from __future__ import annotations

from django.urls import path

from dermreview.review.views import (
    adjudication,
    adjudication_agreement,
    amend,
    case_pages,
    notifications,
    pages,
    result,
)

app_name = "review"

urlpatterns: list = [
    path("", pages.queue, name="queue"),
    path("cases/<int:pk>/", pages.review_case, name="case"),
    path("cases/<int:pk>/blind/", pages.blind_entry, name="blind"),
    path("cases/<int:pk>/claim/", pages.start_review, name="claim"),
    path("cases/<int:pk>/release/", pages.release, name="release"),
    path("cases/<int:pk>/adjudicate/", adjudication.adjudicate, name="adjudicate"),
    path("cases/<int:pk>/adjudicate/propose/", adjudication_agreement.propose, name="adjudication_propose"),
    path("cases/<int:pk>/adjudicate/agree/", adjudication_agreement.confirm, name="adjudication_confirm"),
    path("claims/release/", pages.release_all, name="release_all"),
    path("images/<int:image_pk>/ungradable/", pages.mark_ungradable, name="ungradable"),
    path("reviews/<int:pk>/", result.result, name="result"),
    path("reviews/<int:pk>/agreement.json", result.result_json, name="result_json"),
    path("reviews/<int:pk>/amend/", amend.amend, name="amend"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
]

# The case page and its live parts keep their URLs and names from before they moved here (see
# review/views/case_pages.py); dermreview/urls.py mounts them. They show draft status and the signed finding,
# which the cases and drafting apps may not assemble: that needs the review app's blind-first rule.
# At /cases/, in the `cases` namespace:
case_page_urlpatterns: list = [
    path("<int:pk>/", case_pages.case_detail, name="detail"),
    path("<int:pk>/images/grid/", case_pages.image_grid, name="image_grid"),
]
# At /review/, in the `drafting` namespace (polled by static/js/draft_status.js):
draft_status_urlpatterns: list = [
    path("cases/<int:pk>/drafts/status/", case_pages.case_drafts_status, name="draft_status"),
    path("images/<int:pk>/draft/", case_pages.image_draft, name="image_draft"),
]
