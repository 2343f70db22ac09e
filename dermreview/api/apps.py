from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "dermreview.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dermreview.accounts.signals import credentials_changed
        from dermreview.api.services.tokens import api_token_revoke_on_credentials_changed

        # Accounts announces a new password without knowing the API exists; the API ends its token.
        credentials_changed.connect(api_token_revoke_on_credentials_changed, dispatch_uid="api-token-revoke")
