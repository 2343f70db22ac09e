"""`/accounts/mfa/`: included by dermreview/accounts/urls.py."""

from __future__ import annotations

from django.urls import path

from dermreview.accounts.mfa import views

app_name = "mfa"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("enrol/", views.enrol, name="enrol"),
    path("verify/", views.verify, name="verify"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
]
