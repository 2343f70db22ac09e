"""Oversight alarms and digests in the admin: read-only (alarms change only through the audited acknowledge and
resolve services), for admin staff who are auditors of the clinic; operators see none of their own right."""

from __future__ import annotations

from django.contrib import admin

from dermreview.accounts.admin import OrganisationScopedAdmin
from dermreview.accounts.roles import Role
from dermreview.oversight.models import Alarm, AlarmDigest


class _OversightAdmin(OrganisationScopedAdmin):
    organisation_roles = frozenset({Role.AUDITOR})


@admin.register(Alarm)
class AlarmAdmin(_OversightAdmin):
    list_display = ("kind", "subject_label", "organisation", "status", "still_firing", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("subject_label",)


@admin.register(AlarmDigest)
class AlarmDigestAdmin(_OversightAdmin):
    list_display = ("day", "organisation", "recipients", "alarm_count", "sent_at")
