from __future__ import annotations

from django.urls import URLPattern, path  # noqa: F401 - the views below add their routes

app_name = "lesions"

urlpatterns: list[URLPattern] = [
]
