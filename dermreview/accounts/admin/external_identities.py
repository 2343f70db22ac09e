"""Single sign-on identities in the admin: who is linked to which identity-provider subject.

Clinic administrators see their clinic's links and may remove one (the next sign-in through the provider then
creates a new account, mapped from its groups again); operators see all and may link an existing local account to
a provider subject, so a person who used a password keeps their history when the clinic moves to single sign-on.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from dermreview.accounts.admin.scoping import OrganisationScopedAdmin
from dermreview.accounts.models import ExternalIdentity
from dermreview.accounts.roles import Role, is_operator


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(OrganisationScopedAdmin):
    organisation_path = "user__organisation"
    organisation_roles = frozenset({Role.CLINIC_ADMIN})
    operator_sees_all = True
    allow_delete = True
    list_display = ["user", "issuer", "subject", "created_at", "last_login_at"]
    search_fields = ["user__username", "subject"]
    readonly_fields = ["created_at", "last_login_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Linking decides who a provider's subject signs in as: an operator's act, never a clinic's.
        return is_operator(request.user) and self.may_use(request)
