"""API tokens in the admin: who holds one, since when, last used when; never the key (only its digest is stored).

A clinic administrator sees and revokes (deletes) their own clinic's tokens, an operator everyone's. Tokens are
issued only through the API (`POST /api/v1/auth/token/`), which shows the key once.
"""

from __future__ import annotations

from django.contrib import admin

from dermreview.accounts.admin import OrganisationScopedAdmin
from dermreview.accounts.roles import Role
from dermreview.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(OrganisationScopedAdmin):
    organisation_path = "user__organisation"
    organisation_roles = frozenset({Role.CLINIC_ADMIN})
    operator_sees_all = True
    allow_delete = True  # revoking: every client using the token gets 401 from then on
    list_display = ["prefix", "user", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["prefix", "user__username"]
    date_hierarchy = "created_at"
    fields = ["prefix", "user", "created_at", "last_used_at"]
    readonly_fields = fields
    # The digest cannot authenticate, but it stays out of the admin and of the trail all the same.
    audit_skip_fields = ("digest",)
