"""What the admin shows of the audit trail, read-only everywhere, the admin included.

Registered by accounts (dermreview/accounts/admin/audit_events.py): who reads which events depends on roles and
organisations, which live a layer above audit.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from dermreview.audit.models import AuditEvent


class AuditEventAdminBase(admin.ModelAdmin):
    list_display = ["sequence", "created_at", "actor_username", "action", "object_type", "object_id", "organisation"]
    list_filter = ["action", "organisation", "object_type"]
    search_fields = ["actor_username", "action", "object_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
