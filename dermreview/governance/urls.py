from __future__ import annotations

from django.urls import path

from dermreview.governance.views import runs, versions

app_name = "governance"

urlpatterns = [
    path("versions/register/", versions.version_register, name="version_register"),
    path("versions/<int:pk>/approve/", versions.version_approve, name="version_approve"),
    path("versions/<int:pk>/withdraw/", versions.version_withdraw, name="version_withdraw"),
    path("evaluations/start/", runs.run_start, name="run_start"),
    path("evaluations/<int:pk>/", runs.run_detail_page, name="run_detail"),
    path("evaluations/<int:pk>/progress.json", runs.run_progress_json, name="run_progress"),
    path("evaluations/<int:pk>/cancel/", runs.run_cancel, name="run_cancel"),
    path("evaluations/<int:pk>/resume/", runs.run_resume, name="run_resume"),
]
