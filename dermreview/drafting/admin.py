"""Django admin for AI drafting: drafts (read-only, with a requeue action for failed ones), the drafting kill switch (the change form
records who turned it on or off and why, through `drafting_set_enabled`, which audits it) and worker heartbeats.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from dermreview.drafting.models import Draft, DraftingControl, WorkerHeartbeat
from dermreview.drafting.services.queueing import drafting_set_enabled, drafts_requeue


@admin.register(Draft)
class DraftAdmin(admin.ModelAdmin):
    """Drafts are written only by the workers; the admin inspects them and can requeue failed ones."""

    list_display = ["id", "image", "status", "failure_kind", "attempts", "model_id", "model_revision",
                    "prompt_version", "backend", "batch_size", "queue_wait_ms", "generate_ms", "created_at"]
    list_filter = ["status", "failure_kind", "backend", "model_id", "prompt_version"]
    search_fields = ["=id", "=image__id", "=image__case__id", "model_id"]
    date_hierarchy = "created_at"
    actions = ["requeue_failed"]
    list_select_related = ["image"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Draft]:
        queryset = super().get_queryset(request)
        organisation_id = getattr(request.user, "organisation_id", None)
        # Patient data stays inside its organisation; an operator account without one sees every organisation.
        return queryset.filter(image__case__organisation_id=organisation_id) if organisation_id else queryset

    def get_readonly_fields(self, request: HttpRequest, obj: Draft | None = None) -> list[str]:
        return [field.name for field in Draft._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Draft | None = None) -> bool:
        return False

    @admin.action(description="Requeue the selected failed drafts (fresh attempts)")
    def requeue_failed(self, request: HttpRequest, queryset: QuerySet[Draft]) -> None:
        try:
            count = drafts_requeue(draft_ids=list(queryset.values_list("pk", flat=True)), user=request.user)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"{count} failed draft(s) requeued; drafts in other states were left alone.")


class DraftingControlForm(forms.ModelForm):
    change_reason = forms.CharField(
        label="Reason for this change", widget=forms.Textarea(attrs={"rows": 3}), required=True,
        help_text="Required. Recorded with your name in the audit trail.",
    )

    class Meta:
        model = DraftingControl
        fields = ["enabled"]


@admin.register(DraftingControl)
class DraftingControlAdmin(admin.ModelAdmin):
    """The kill switch. Off: uploads continue, images go to manual entry; on again: the backlog is drafted."""

    form = DraftingControlForm
    list_display = ["__str__", "changed_by", "changed_at", "reason"]
    readonly_fields = ["reason", "changed_by", "changed_at"]
    fields = ["enabled", "change_reason", "reason", "changed_by", "changed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # A single row: go straight to it (creating it, enabled, on first use).
        control = DraftingControl.current()
        return HttpResponseRedirect(reverse("admin:drafting_draftingcontrol_change", args=[control.pk]))

    def has_delete_permission(self, request: HttpRequest, obj: DraftingControl | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: DraftingControl, form: Any, change: bool) -> None:
        try:
            drafting_set_enabled(enabled=form.cleaned_data["enabled"], user=request.user,
                                 reason=form.cleaned_data["change_reason"])
        except ValidationError as exc:  # the form already requires a reason; kept for a blank-after-strip one
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        obj.refresh_from_db()


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker", "backend", "model_id", "model_revision", "prompt_version", "model_loaded",
                    "last_seen", "last_error"]
    list_filter = ["model_loaded", "backend"]

    def get_readonly_fields(self, request: HttpRequest, obj: WorkerHeartbeat | None = None) -> list[str]:
        return [field.name for field in WorkerHeartbeat._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
