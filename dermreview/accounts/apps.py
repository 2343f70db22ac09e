from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dermreview.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dermreview.accounts import signals  # noqa: F401  (connects the login audit receivers)
