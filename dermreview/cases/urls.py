from __future__ import annotations

from django.urls import path

from dermreview.cases.views import capture_details, case_pages, media, training_use, uploads

app_name = "cases"

# The case page (`detail`) and its photo grid (`image_grid`) are in this namespace too, mounted by dermreview/urls.py
# from `review.urls.case_page_urlpatterns`: they show drafts and findings, which this app may not import.
urlpatterns = [
    path("", case_pages.case_list, name="list"),
    path("new/", case_pages.case_new, name="new"),
    path("<int:pk>/edit/", case_pages.case_edit, name="edit"),
    path("<int:pk>/training-use/", training_use.case_training_use, name="training_use"),
    path("<int:pk>/images/upload/", uploads.image_upload, name="image_upload"),
    path("images/<int:image_pk>/capture-type/", uploads.image_capture_type, name="image_capture_type"),
    path("images/<int:image_pk>/capture-details/", capture_details.capture_details, name="capture_details"),
    path("images/<int:image_pk>/scale/", capture_details.image_scale, name="image_scale"),
    path("images/<int:image_pk>/measure/", capture_details.image_measure_diameter, name="image_measure"),
    path("media/images/<int:image_pk>/", media.image_file, name="image_file"),
    path("media/thumbnails/<int:image_pk>/", media.image_thumbnail, name="image_thumbnail"),
    path("media/display/<int:image_pk>/", media.image_display, name="image_display"),
]
