from __future__ import annotations

from django.urls import path

from dermreview.pacs import views

app_name = "pacs"

urlpatterns = [
    path("<int:pk>/dicom/send/", views.case_dicom_send, name="case_send"),
]
