from __future__ import annotations

from django.urls import path

from dermreview.drafting import views

app_name = "drafting"

# Mounted under /review/ beside the review pages, so the URLs the case page polls stay where they were.
urlpatterns: list = [
    path("cases/<int:pk>/drafts/status/", views.case_drafts_status, name="draft_status"),
    path("images/<int:pk>/draft/", views.image_draft, name="image_draft"),
]
