"""The accounts side of the Django admin, and the base every ModelAdmin of the project builds on.

- `scoping.OrganisationScopedAdmin`: rows scoped to the user's organisation, permissions from roles, changes
  audited (`changes.AuditedAdminMixin`). Use it for every ModelAdmin; `OrganisationScopedInline` for inlines.
- `users`, `organisations`: user and clinic management for operators and clinic administrators.
- `audit_events`: the audit trail (registered here because who reads which events takes roles).
- `lockouts`: django-axes' records, re-registered scoped.

Django's own Group admin is removed: roles are fixed groups (created by migrations) given to users in the user
form, and a group's Django permissions grant nothing in DermReview's admin, where roles decide.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group

from dermreview.accounts.admin import (  # noqa: F401  (registrations)
    audit_events,
    external_identities,
    lockouts,
    organisations,
    users,
)
from dermreview.accounts.admin.scoping import OrganisationScopedAdmin, OrganisationScopedInline

if admin.site.is_registered(Group):
    admin.site.unregister(Group)

__all__ = ["OrganisationScopedAdmin", "OrganisationScopedInline"]
