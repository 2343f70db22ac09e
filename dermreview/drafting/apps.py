from __future__ import annotations

from django.apps import AppConfig


class DraftingConfig(AppConfig):
    name = "dermreview.drafting"
    label = "drafting"
    verbose_name = "AI drafting"
    default_auto_field = "django.db.models.BigAutoField"
