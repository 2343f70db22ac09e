from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from dermreview.core import views as core_views

admin.site.site_header = "DermReview administration"
admin.site.site_title = "DermReview admin"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("dermreview.accounts.urls")),
    path("cases/", include("dermreview.cases.urls")),
    path("review/", include("dermreview.review.urls")),
    path("review/", include("dermreview.drafting.urls")),
    path("oversight/", include("dermreview.oversight.urls")),
    path("api/v1/", include("dermreview.api.urls")),
    path("admin/", admin.site.urls),
]

# JSON under /api/ (errors raised outside any API view), Django's pages elsewhere.
handler404 = "dermreview.api.errors.handler404"
handler500 = "dermreview.api.errors.handler500"
