"""The project's admin site: Django's, with one way to change one's own password.

Django's admin has its own "change password" page, which knows nothing of what a new password must end (the
user's other sessions and API token) nor of the audit trail. It sends people to the account page that does both
(`accounts.views.AuditedPasswordChangeView`). Installed through `AdminConfig` below.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


class DermReviewAdminSite(admin.AdminSite):
    site_header = "DermReview administration"
    site_title = "DermReview admin"

    def password_change(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        return redirect("password_change")

    def password_change_done(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        return redirect("password_change_done")


class AdminConfig(DjangoAdminConfig):
    """`django.contrib.admin` with the site above: INSTALLED_APPS names this instead of the plain app."""

    default_site = "dermreview.accounts.admin_site.DermReviewAdminSite"
