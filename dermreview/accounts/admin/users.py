"""Users in the admin: a clinic administrator manages their own clinic's accounts, an operator everyone's.

A clinic administrator creates users (always in their own clinic), deactivates them, sets a new password and gives
them roles among clinician, reviewer, auditor and clinic_admin. They cannot make anyone an operator, move anyone to
another clinic, or touch an operator's account: those fields are not in their forms and operators' accounts are
read-only to them. `is_staff` is never set by hand: it follows the roles (operators and clinic administrators).

No password hash is shown, only whether a password is set and a link to set a new one. Any change of the
password, activity, roles, clinic or superuser flag ends the user's sessions and API token
(`user_credentials_revoke`); every change is in the audit trail with old and new values.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UsernameField
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from dermreview.accounts.admin.scoping import OrganisationScopedAdmin
from dermreview.accounts.models import User
from dermreview.accounts.roles import CLINIC_ROLES, Role, is_operator, should_be_staff
from dermreview.accounts.services.credentials import CREDENTIAL_FIELDS, user_credentials_revoke

ROLE_GROUP_NAMES = sorted(role.value for role in CLINIC_ROLES)


class _UserAccountFormMixin:
    """Roles need a clinic; a clinic administrator's new users join their clinic before validation."""

    clinic_id: ClassVar[int | None] = None  # set (per request) for clinic administrators

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.clinic_id is not None and self.instance.pk is None:
            self.instance.organisation_id = self.clinic_id

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        has_field = "organisation" in self.fields
        organisation = cleaned.get("organisation") if has_field else self.instance.organisation_id
        if cleaned.get("groups") and organisation is None:
            self.add_error("organisation" if has_field else "groups",
                           "Clinic roles need a clinic: choose the user's organisation.")
        return cleaned


class UserAccountForm(_UserAccountFormMixin, forms.ModelForm):
    class Meta:
        model = User
        # The most any administrator may edit (the admin narrows it per user); never the password or permissions.
        fields = ["username", "first_name", "last_name", "email", "organisation", "groups", "is_active",
                  "is_superuser"]
        field_classes = {"username": UsernameField}


class UserAccountCreationForm(_UserAccountFormMixin, AdminUserCreationForm):
    pass


@admin.register(User)
class UserAdmin(OrganisationScopedAdmin, DjangoUserAdmin):
    organisation_roles = frozenset({Role.CLINIC_ADMIN})
    operator_sees_all = True
    allow_add = allow_change = True
    form = UserAccountForm
    add_form = UserAccountCreationForm
    search_fields = ["username", "email", "first_name", "last_name"]
    filter_horizontal = ["groups"]
    readonly_fields = ["password_status", "is_staff", "last_login", "date_joined"]

    # --- what each kind of administrator sees -----------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).select_related("organisation").prefetch_related("groups")

    def get_list_display(self, request: HttpRequest) -> list[str]:
        columns = ["username", "email", "organisation", "roles", "is_active", "last_login"]
        return [*columns, "is_superuser"] if is_operator(request.user) else columns

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        filters = ["organisation", "groups", "is_active", "is_superuser"] if is_operator(request.user) else [
            "groups", "is_active"]
        return [self._related_only(entry) for entry in filters]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        operator = is_operator(request.user)
        if obj is None:
            fields = ["username", "usable_password", "password1", "password2", "first_name", "last_name", "email",
                      *(["organisation"] if operator else []), "groups", *(["is_superuser"] if operator else [])]
            return [(None, {"classes": ["wide"], "fields": fields})]
        return [
            (None, {"fields": ["username", "password_status"]}),
            ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
            ("Clinic and roles", {"fields": ["organisation", "groups"]}),
            ("Account", {"fields": ["is_active", *(["is_superuser"] if operator else []), "is_staff"]}),
            ("Important dates", {"fields": ["last_login", "date_joined"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return fields if is_operator(request.user) or obj is None else [*fields, "organisation"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if not is_operator(request.user):
            form = type(form.__name__, (form,), {"clinic_id": request.user.organisation_id})
        return form

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups":
            # Roles only: the groups that carry Django permissions are no business of anyone's here.
            kwargs["queryset"] = Group.objects.filter(name__in=ROLE_GROUP_NAMES).order_by("name")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An operator's account is an operator's business: a clinic administrator who could reset its password
        # could become one.
        if obj is not None and obj.is_superuser and not is_operator(request.user):
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description="Roles")
    def roles(self, obj: User) -> str:
        return ", ".join(sorted(group.name for group in obj.groups.all()))

    @admin.display(description="Password")
    def password_status(self, obj: User) -> str:
        if obj.pk is None:
            return "-"
        state = "set" if obj.has_usable_password() else "none (password login disabled)"
        url = reverse("admin:auth_user_password_change", args=[obj.pk])
        return format_html('{} · <a href="{}">Set a new password</a>', state, url)

    # --- saving -----------------------------------------------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not is_operator(request.user):
            # Not in their forms anyway; held here too, whatever was posted.
            before = getattr(obj, "_admin_audit_before", {})
            obj.organisation_id = before.get("organisation", request.user.organisation_id)
            obj.is_superuser = before.get("is_superuser", False)
        super().save_model(request, obj, form, change)

    def after_save(self, request: HttpRequest, obj: Any, *, change: bool) -> None:
        staff = should_be_staff(obj)
        if obj.is_staff != staff:
            obj.is_staff = staff
            obj.save(update_fields=["is_staff"])

    def audit_details(self, obj: Any, changes: dict[str, list[Any]]) -> dict[str, Any]:
        granted: list[str] = []
        revoked: list[str] = []
        if "is_superuser" in changes:
            (granted if changes["is_superuser"][1] else revoked).append("operator (superuser)")
        if "groups" in changes:
            old, new = set(changes["groups"][0] or ()), set(changes["groups"][1] or ())
            granted += sorted(new - old)
            revoked += sorted(old - new)
        return {"granted": granted, "revoked": revoked} if granted or revoked else {}

    def changes_recorded(self, request: HttpRequest, obj: Any, changes: dict[str, list[Any]], *, added: bool) -> None:
        changed = sorted(CREDENTIAL_FIELDS & set(changes))
        if added or not changed:
            return
        # An administrator changing their own account stays signed in in the browser they are using.
        keep = request.session.session_key if obj.pk == request.user.pk else None
        user_credentials_revoke(user=obj, reason="admin: " + ", ".join(changed), keep_session_key=keep)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # The new password, its audit event and the end of the user's sessions and token: one transaction.
        with transaction.atomic(using=self.model._default_manager.db):
            return super().user_change_password(request, id, form_url)
