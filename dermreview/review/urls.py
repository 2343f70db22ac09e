from __future__ import annotations

from django.urls import path

from dermreview.review.views import amend, pages, result

app_name = "review"

urlpatterns: list = [
    path("", pages.queue, name="queue"),
    path("cases/<int:pk>/", pages.review_case, name="case"),
    path("cases/<int:pk>/blind/", pages.blind_entry, name="blind"),
    path("cases/<int:pk>/release/", pages.release, name="release"),
    path("images/<int:image_pk>/ungradable/", pages.mark_ungradable, name="ungradable"),
    path("reviews/<int:pk>/", result.result, name="result"),
    path("reviews/<int:pk>/agreement.json", result.result_json, name="result_json"),
    path("reviews/<int:pk>/amend/", amend.amend, name="amend"),
]
