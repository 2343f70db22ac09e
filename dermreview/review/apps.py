from __future__ import annotations

from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "dermreview.review"
    label = "review"
    verbose_name = "Human review"
    default_auto_field = "django.db.models.BigAutoField"
