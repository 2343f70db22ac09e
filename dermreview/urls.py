from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from dermreview.api.reports.views import case_report_page
from dermreview.api.views.export_page import findings_export_page
from dermreview.cases import urls as case_urls
from dermreview.core import views as core_views
from dermreview.review.urls import case_page_urlpatterns, draft_status_urlpatterns

admin.site.site_header = "DermReview administration"
admin.site.site_title = "DermReview admin"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("dermreview.accounts.urls")),
    # One `cases` namespace: the cases app's own pages, and the case page that the review app assembles.
    # The case page's PDF report (the api app renders it; cases may not import api).
    path("cases/<int:pk>/report.pdf", case_report_page, name="case_report_pdf"),
    path("cases/", include((case_urls.urlpatterns + case_page_urlpatterns, case_urls.app_name))),
    path("review/", include("dermreview.review.urls")),
    # The case page's "Send to PACS" (DICOM to the hospital archive).
    path("cases/", include("dermreview.pacs.urls")),
    # Patients, lesions on the body map, timelines, comparisons, follow-up lists and outcomes.
    path("patients/", include("dermreview.lesions.urls")),
    # The case page's draft status and fragments, under their old `drafting` names (see review/urls.py).
    path("review/", include((draft_status_urlpatterns, "drafting"))),
    # The API's findings export as an oversight page (oversight may not import api; see api/views/export_page.py).
    path("oversight/export/", findings_export_page, name="findings_export_page"),
    # Model versions, shadow evaluations and approvals, under the oversight governance page that lists them.
    path("oversight/governance/", include("dermreview.governance.urls")),
    path("oversight/", include("dermreview.oversight.urls")),
    path("api/v1/", include("dermreview.api.urls")),
    path("admin/", admin.site.urls),
]

# JSON under /api/ (errors raised outside any API view), Django's pages elsewhere.
handler404 = "dermreview.api.errors.handler404"
handler500 = "dermreview.api.errors.handler500"
