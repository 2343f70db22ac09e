from __future__ import annotations

from django.contrib import admin

from dermreview.oversight.models import Alarm, AlarmDigest


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    """Read-only: alarms change only through the audited acknowledge/resolve services."""

    list_display = ("kind", "subject_label", "organisation", "status", "still_firing", "created_at")
    list_filter = ("kind", "status", "organisation")
    search_fields = ("subject_label",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(AlarmDigest)
class AlarmDigestAdmin(admin.ModelAdmin):
    list_display = ("day", "organisation", "recipients", "alarm_count", "sent_at")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
