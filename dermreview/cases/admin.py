"""Django admin for cases and photos: for looking things up, read-only.

Every change to a case or a photo goes through a service that checks roles and writes the audit trail, so
the admin neither adds, edits nor deletes them. The uploader's file name is never stored, so there is none
to search for; search by patient reference, lesion label, case number or SHA-256 instead.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from dermreview.cases.models import Case, LesionImage
from dermreview.cases.views.media import image_url, thumbnail_url


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _preview(image: LesionImage) -> str:
    # Served by the protected media view, which still applies the organisation check to the admin user.
    return format_html('<a href="{}"><img src="{}" alt="Image {}" height="80"></a>',
                       image_url(image), thumbnail_url(image), image.pk)


class LesionImageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LesionImage
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["preview", "capture_type", "width", "height", "byte_size", "sha256", "uploaded_by", "created_at",
              "ungradable_reason"]
    readonly_fields = fields

    @admin.display(description="Photo")
    def preview(self, obj: LesionImage) -> str:
        return _preview(obj)


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "patient_ref", "organisation", "body_site", "lesion_label", "status", "high_risk",
                    "blind_first", "created_by", "created_at"]
    list_filter = ["status", "body_site", "high_risk", "blind_first", "organisation", "created_at"]
    search_fields = ["=pk", "patient_ref", "lesion_label"]
    date_hierarchy = "created_at"
    list_select_related = ["organisation", "created_by"]
    inlines = [LesionImageInline]


@admin.register(LesionImage)
class LesionImageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "case", "capture_type", "width", "height", "byte_size", "uploaded_by", "created_at",
                    "is_ungradable"]
    list_filter = ["capture_type", "case__organisation", "created_at", ("ungradable_at", admin.EmptyFieldListFilter)]
    search_fields = ["=pk", "=case__pk", "case__patient_ref", "case__lesion_label", "sha256"]
    date_hierarchy = "created_at"
    list_select_related = ["case", "uploaded_by"]
    fields = ["preview", "case", "capture_type", "width", "height", "byte_size", "content_type", "sha256",
              "uploaded_by", "created_at", "ungradable_reason", "ungradable_by", "ungradable_at"]
    readonly_fields = fields

    @admin.display(description="Photo")
    def preview(self, obj: LesionImage) -> str:
        return _preview(obj)

    @admin.display(boolean=True, description="Ungradable")
    def is_ungradable(self, obj: LesionImage) -> bool:
        return obj.is_ungradable
