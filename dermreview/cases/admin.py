"""Django admin for cases and photos: for looking things up, read-only, inside one's own clinic.

Every change to a case or a photo goes through a service that checks roles and writes the audit trail, so
the admin neither adds, edits nor deletes them. They are patient data: only admin staff holding a clinical role in
the clinic see its cases and photos (`OrganisationScopedAdmin`; an operator sees none of their own right). The
uploader's file name is never stored, so there is none to search for; search by patient reference, lesion label,
case number or SHA-256 instead.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from dermreview.accounts.admin import OrganisationScopedAdmin, OrganisationScopedInline
from dermreview.accounts.roles import is_clinic_admin, is_operator
from dermreview.cases.models import Case, DiagnosisClass, LesionImage
from dermreview.cases.services.diagnosis_class import diagnosis_class_save
from dermreview.cases.views.media import image_url, thumbnail_url
from dermreview.common.forms import NormalisedTextFormMixin
from dermreview.common.text import TextRefused, normalise_text


def _preview(image: LesionImage) -> str:
    # Served by the protected media view, which still applies the organisation check to the admin user.
    return format_html('<a href="{}"><img src="{}" alt="Image {}" height="80"></a>',
                       image_url(image), thumbnail_url(image), image.pk)


class LesionImageInline(OrganisationScopedInline, admin.TabularInline):
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
class CaseAdmin(OrganisationScopedAdmin):
    list_display = ["pk", "patient_ref", "organisation", "body_site", "lesion_label", "status", "high_risk",
                    "blind_first", "created_by", "created_at"]
    list_filter = ["status", "body_site", "high_risk", "blind_first", "created_at"]
    search_fields = ["=pk", "patient_ref", "lesion_label"]
    date_hierarchy = "created_at"
    list_select_related = ["organisation", "created_by"]
    inlines = [LesionImageInline]


@admin.register(LesionImage)
class LesionImageAdmin(OrganisationScopedAdmin):
    organisation_path = "case__organisation"
    list_display = ["pk", "case", "capture_type", "width", "height", "byte_size", "uploaded_by", "created_at",
                    "is_ungradable"]
    list_filter = ["capture_type", "created_at", ("ungradable_at", admin.EmptyFieldListFilter)]
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


# --- the diagnosis vocabulary ---------------------------------------------------------------------------------
# Not read-only, unlike the rest of this file: a clinic administrator adds the clinic's own classes here (through
# `diagnosis_class_save`, which checks the role and writes the audit trail). Scoped by hand to the shared classes
# plus the user's own clinic's, as every query is; the shared ones are read-only (they change by migration).


class _NamesField(forms.CharField):
    """A list of names, one per line, each NFKC-normalised with hidden characters refused."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        lines = [line.strip() for line in (super().to_python(value) or "").splitlines()]
        try:
            return [normalise_text(line, field="names", multiline=False) for line in lines if line]
        except TextRefused as exc:
            raise forms.ValidationError(exc.message) from None


class DiagnosisClassForm(NormalisedTextFormMixin, forms.ModelForm):
    synonyms = _NamesField(required=False, help_text="Other names, one per line.")
    abbreviations = _NamesField(required=False, help_text="One per line; dots do not matter (BCC is B.C.C.).")

    class Meta:
        model = DiagnosisClass
        fields = ["code", "name", "synonyms", "abbreviations", "high_risk", "active", "ordering"]


@admin.register(DiagnosisClass)
class DiagnosisClassAdmin(admin.ModelAdmin):
    form = DiagnosisClassForm
    list_display = ["name", "code", "high_risk", "active", "owner", "ordering"]
    list_filter = ["high_risk", "active", ("organisation", admin.EmptyFieldListFilter)]
    search_fields = ["name", "code"]
    list_select_related = ["organisation"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).for_organisation(getattr(request.user, "organisation_id", None))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_clinic_admin(request.user) or is_operator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_clinic_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        own = obj is None or obj.organisation_id == getattr(request.user, "organisation_id", None)
        return is_clinic_admin(request.user) and own

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # signed findings keep their class: switch `active` off instead

    def save_model(self, request: HttpRequest, obj: DiagnosisClass, form: Any, change: bool) -> None:
        diagnosis_class_save(user=request.user, diagnosis_class=obj)

    @admin.display(description="Owner")
    def owner(self, obj: DiagnosisClass) -> str:
        return "Shared vocabulary" if obj.organisation_id is None else str(obj.organisation)
