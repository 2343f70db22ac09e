from __future__ import annotations

from django.urls import path

from dermreview.cases.views import case_pages

app_name = "cases"

urlpatterns = [
    path("", case_pages.case_list, name="list"),
    path("new/", case_pages.case_new, name="new"),
    path("<int:pk>/", case_pages.case_detail, name="detail"),
    path("<int:pk>/edit/", case_pages.case_edit, name="edit"),
]
