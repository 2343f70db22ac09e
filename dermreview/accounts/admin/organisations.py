"""Organisations (clinics) in the admin: operators create and rename them; a clinic administrator sees their own."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dermreview.accounts.admin.scoping import OrganisationScopedAdmin
from dermreview.accounts.models import Organisation
from dermreview.accounts.roles import Role, is_operator


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    organisation_path = "pk"
    organisation_roles = frozenset({Role.CLINIC_ADMIN})
    operator_sees_all = True
    allow_change = True
    list_display = ["name", "slug", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "slug"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_operator(request.user) and self.may_use(request)

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> dict[str, Any]:
        return {"slug": ["name"]} if obj is None else {}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The slug names the clinic in links and exports: fixed once the clinic exists. Turning password sign-in
        # off before single sign-on works would lock a clinic out: an operator's decision, not a clinic admin's.
        fixed = ["created_at"] if obj is None else ["slug", "created_at"]
        return fixed if is_operator(request.user) else [*fixed, "local_password_login"]
