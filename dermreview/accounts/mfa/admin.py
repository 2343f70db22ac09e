"""Authenticators in the Django admin: who has enrolled, when last used; deleting one is an audited reset.

Replaces django-otp's own admin pages, which show each device's secret key (and the recovery codes) to every
administrator and let one add a device with a key of their choosing: either would let an administrator pass
another person's second factor. Here nothing secret is shown and nothing can be added or edited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from dermreview.accounts.mfa.services import mfa_reset

for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ["user", "confirmed", "created_at", "last_used_at", "throttling_failure_count"]
    list_filter = ["confirmed", "created_at", "last_used_at"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count"]
    readonly_fields = fields
    actions = ["reset_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Django's bulk delete would skip the reset (and its audit event): ours replaces it.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request: HttpRequest, obj: TOTPDevice) -> None:
        mfa_reset(user=obj.user, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TOTPDevice]) -> None:
        for device in queryset.select_related("user"):
            mfa_reset(user=device.user, actor=request.user)

    @admin.action(description="Reset two-factor authentication (the user enrols again at next log-in)",
                  permissions=["delete"])
    def reset_selected(self, request: HttpRequest, queryset: QuerySet[TOTPDevice]) -> None:
        users = {device.user for device in queryset.select_related("user")}
        for user in users:
            mfa_reset(user=user, actor=request.user)
        self.message_user(request, f"Reset two-factor authentication of {len(users)} user(s).", messages.SUCCESS)
