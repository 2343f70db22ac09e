from __future__ import annotations

from django.urls import URLPattern, path  # noqa: F401 - the views below add their routes

from dermreview.lesions.views import compare, follow_up, lesion_pages, outcomes, patients

app_name = "lesions"

urlpatterns: list[URLPattern] = [
    # Patients, the body map and each lesion's timeline (views/patients.py, views/lesion_pages.py).
    path("", patients.patient_list, name="patients"),
    path("<int:pk>/", patients.patient_detail, name="patient"),
    path("<int:pk>/edit/", patients.patient_edit, name="patient_edit"),
    path("<int:pk>/lesions/new/", patients.lesion_new, name="lesion_new"),
    path("lesions/<int:pk>/", lesion_pages.lesion_detail, name="lesion"),
    path("lesions/<int:pk>/place/", patients.lesion_move, name="lesion_place"),
    # Two visits side by side, and the clinic's follow-ups due (views/compare.py, views/follow_up.py).
    path("lesions/<int:lesion_id>/compare/", compare.lesion_compare, name="compare"),
    path("follow-up/", follow_up.follow_up_list, name="follow_up"),
    # A lesion's outcome (histopathology...): record, and void to correct (views/outcomes.py).
    path("lesions/<int:lesion_id>/outcome/", outcomes.lesion_outcome, name="outcome"),
    path("lesions/<int:lesion_id>/outcome/<int:outcome_id>/void/", outcomes.lesion_outcome_void, name="outcome_void"),
]
