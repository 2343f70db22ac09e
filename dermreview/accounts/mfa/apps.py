from __future__ import annotations

from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "dermreview.accounts.mfa"
    label = "accounts_mfa"
    verbose_name = "Two-factor authentication"
