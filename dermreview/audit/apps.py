from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db import connections
from django.db.models.signals import post_migrate

from dermreview.audit.services.db_roles import app_role_grant


class AuditConfig(AppConfig):
    name = "dermreview.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # After the whole migrate (every app's tables exist by then), as the owner role that ran it.
        post_migrate.connect(_grant_app_role, sender=self, dispatch_uid="audit-grant-app-role")


def _grant_app_role(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    app_role_grant(connection=connections[using], role=settings.DERMREVIEW_DB_APP_ROLE)
