from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from dermreview.accounts.models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "organisation", "is_active", "is_superuser", "last_login"]
    list_filter = ["organisation", "groups", "is_active", "is_superuser"]
    search_fields = ["username", "email", "first_name", "last_name"]
    fieldsets = [*DjangoUserAdmin.fieldsets, ("Clinic", {"fields": ["organisation"]})]
    add_fieldsets = [*DjangoUserAdmin.add_fieldsets, ("Clinic", {"fields": ["organisation"]})]
